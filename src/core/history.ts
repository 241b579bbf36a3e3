// The traffic history: bounded time buckets and state logs per cluster, endpoint and key, in fixed memory, for the dashboard.

import { decodeSeries, decodeStates, encodeSeries, encodeStates, PersistedSeries, PersistedStates } from './historyJson';
import { ClusterSeries, ENDPOINT_STATES, EndpointSeries, EVENT_KINDS, HistoryState, KEY_STATES, KeySeries, PROBE_CODE, RecordedUsage, Series } from './historySeries';
import { buildView, HistoryRange, HistoryView } from './historyView';

export type { EndpointHistoryState, HistoryEventKind, HistoryState, KeyHistoryState, RecordedUsage } from './historySeries';
export type { EndpointHistory, HistoryRange, HistoryView, KeyHistory, RangeTotals, SeriesColumns, StateEvents } from './historyView';
export { HISTORY_RANGES, isHistoryRange, RANGE_SPECS } from './historyView';
export type { PersistedBucket, PersistedSeries, PersistedStates } from './historyJson';

/** One attempt of a request, for the per-endpoint and per-key counts. */
export interface RecordedAttempt {
  endpoint: string;
  /** `…a1b2`, or null when the client's own key was passed through. */
  key: string | null;
  ok: boolean;
}

/** One finished request. */
export interface RecordedRequest {
  /** When it finished (ms since the epoch). */
  at: number;
  cluster: string;
  /** The endpoint and key that gave the final answer; null when none did. */
  endpoint: string | null;
  key: string | null;
  ok: boolean;
  ttfbMs: number | null;
  usage?: RecordedUsage;
  /** Absent when no price is known. */
  costUsd?: number;
  /**
   * Every attempt, the final one included. When given, each counts once on its endpoint and key (so an
   * endpoint that failed and was retried elsewhere shows its failures); without it the request counts
   * once on `endpoint` and `key`. TTFB, tokens and cost always go to `endpoint` and `key`.
   */
  attempts?: readonly RecordedAttempt[];
}

/** A change of an endpoint's health (without `key`) or of a key's state (with `key`). */
export interface RecordedState {
  at: number;
  cluster: string;
  endpoint: string;
  /** `…a1b2` */
  key?: string;
  state: HistoryState;
  /** The cause code behind it (`UPSTREAM_5XX`, `RATE_LIMITED`, …). */
  cause?: string;
  /** When a cooldown, invalid period or ejection is due to end. */
  until?: number;
}

/** A half-open probe of an open circuit and how it went. */
export interface RecordedProbe {
  at: number;
  cluster: string;
  endpoint: string;
  ok: boolean;
  /** The cause a failed probe ended with. */
  cause?: string;
}

/** What exists now, for `retain()`: the shape of `ProxyStats.clusters`, so that can be passed as it is. */
export type LiveClusters = readonly { name: string; endpoints: readonly { name: string; keys: readonly { suffix: string }[] }[] }[];

/** Caps on the number of series and events; together they fix the most memory the history can use. */
export interface HistoryLimits {
  clusters: number;
  endpoints: number;
  keys: number;
  /** State changes kept per endpoint and per key. */
  endpointEvents: number;
  keyEvents: number;
}

/**
 * The defaults: a cluster or endpoint series takes about 141 KB (two rings of 360 buckets with 40 TTFB
 * bins), a key about 26 KB, so at most about 13 MB; a typical set-up (a cluster, three endpoints, a few
 * keys) takes under 1 MB.
 */
export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { clusters: 8, endpoints: 48, keys: 192, endpointEvents: 128, keyEvents: 64 };

/** The whole history as JSON (`toJSON()`), read back by `TrafficHistory.fromJSON`. */
export interface PersistedHistory {
  format: 'switchyard-history';
  version: 1;
  savedAt: number;
  clusters: {
    name: string;
    total: PersistedSeries;
    endpoints: { name: string; series: PersistedSeries; states: PersistedStates; keys: { key: string; series: PersistedSeries; states: PersistedStates }[] }[];
  }[];
}

const MAX_CAUSE = 64;
const STATE_CODES: Record<string, number | undefined> = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, i]));

/**
 * Traffic over the last 6 hours for the dashboard: per cluster (once per request), per endpoint (once
 * per attempt, with TTFB percentiles) and per key (requests, tokens, cost), in 10 s buckets over 1 h
 * and 1 min buckets over 6 h, plus each endpoint's health changes and probes and each key's cooldowns.
 *
 * Memory is fixed whatever the traffic: rings never grow, series are capped (`HistoryLimits`; past a
 * cap the least recently used series of that kind makes room) and `retain()` drops those of endpoints
 * and keys that no longer exist. Recording a request allocates nothing once its series exist: it
 * increments one bucket per resolution of each series it touches.
 */
export class TrafficHistory {
  private readonly clusters = new Map<string, ClusterSeries>();
  private endpointCount = 0;
  private keyCount = 0;

  constructor(readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {}

  /** Counts a finished request. */
  recordRequest(r: RecordedRequest): void {
    const at = r.at;
    if (!(at >= 0)) return;
    const c = this.clusterSeries(r.cluster, at);
    if (!c) return;
    const ttfb = r.ttfbMs ?? NaN;
    c.total.record(at, 1, r.ok ? 0 : 1, ttfb, r.usage, r.costUsd);
    const attempts = r.attempts;
    const counted = attempts !== undefined && attempts.length > 0;
    if (counted) {
      for (let i = 0; i < attempts.length; i++) {
        const a = attempts[i];
        const e = this.endpointSeries(c, a.endpoint, at);
        if (!e) continue;
        e.series.record(at, 1, a.ok ? 0 : 1, NaN, undefined, undefined);
        if (a.key !== null) this.keySeries(e, a.key, at)?.series.record(at, 1, a.ok ? 0 : 1, NaN, undefined, undefined);
      }
    }
    if (r.endpoint === null) return;
    const e = this.endpointSeries(c, r.endpoint, at);
    if (!e) return;
    const n = counted ? 0 : 1;
    const failed = counted || r.ok ? 0 : 1;
    e.series.record(at, n, failed, ttfb, r.usage, r.costUsd);
    if (r.key !== null) this.keySeries(e, r.key, at)?.series.record(at, n, failed, NaN, r.usage, r.costUsd);
  }

  /** Logs a health change of an endpoint (healthy / degraded / unhealthy / open) or a key (ok / cooling / invalid). */
  recordState(s: RecordedState): void {
    const code = STATE_CODES[s.state];
    if (code === undefined || !(s.at >= 0)) return;
    const isKey = typeof s.key === 'string';
    if (!(isKey ? KEY_STATES : ENDPOINT_STATES).has(s.state)) return;
    const c = this.clusterSeries(s.cluster, s.at);
    const e = c && this.endpointSeries(c, s.endpoint, s.at);
    if (!e) return;
    const cause = typeof s.cause === 'string' ? (s.cause.length > MAX_CAUSE ? s.cause.slice(0, MAX_CAUSE) : s.cause) : null;
    const until = typeof s.until === 'number' ? s.until : NaN;
    const target = isKey ? this.keySeries(e, s.key!, s.at) : e;
    if (!target) return;
    target.states.push(s.at, code, cause, until);
    target.series.lastAt = Math.max(target.series.lastAt, s.at);
  }

  /** Marks a half-open probe of an endpoint's open circuit. */
  recordProbe(p: RecordedProbe): void {
    if (!(p.at >= 0)) return;
    const c = this.clusterSeries(p.cluster, p.at);
    const e = c && this.endpointSeries(c, p.endpoint, p.at);
    const cause = p.ok ? 'OK' : typeof p.cause === 'string' ? p.cause.slice(0, MAX_CAUSE) : 'FAILED';
    e?.states.push(p.at, PROBE_CODE, cause, NaN);
  }

  /** Drops the series of clusters, endpoints and keys not in `live` (pass `stats().clusters` after a config change). */
  retain(live: LiveClusters): void {
    const wanted = new Map(live.map((c) => [c.name, new Map(c.endpoints.map((e) => [e.name, new Set(e.keys.map((t) => t.suffix))]))]));
    for (const [name, c] of this.clusters) {
      const endpoints = wanted.get(name);
      if (!endpoints) {
        this.dropCluster(c);
        continue;
      }
      for (const [endpointName, e] of c.endpoints) {
        const keys = endpoints.get(endpointName);
        if (!keys) {
          this.dropEndpoint(e);
          continue;
        }
        for (const [key] of e.keys) {
          if (!keys.has(key)) {
            e.keys.delete(key);
            this.keyCount--;
          }
        }
      }
    }
  }

  /** The range ending now for one cluster (default: the most recently used one), as the dashboard draws it. */
  view(range: HistoryRange, cluster?: string, now: number = Date.now()): HistoryView {
    return this.build(range, cluster, now);
  }

  /**
   * Only the buckets from the one holding `since` on (pass the last `times` entry you have: that bucket
   * is sent again, it may have grown), plus the range's totals and the state events from then on.
   * A full view when `since` is older than the range.
   */
  latest(range: HistoryRange, since: number, cluster?: string, now: number = Date.now()): HistoryView {
    return this.build(range, cluster, now, since);
  }

  /** How many series exist and the bytes their rings hold (constant per series). */
  footprint(): { clusters: number; endpoints: number; keys: number; bytes: number } {
    let bytes = 0;
    for (const c of this.clusters.values()) {
      bytes += c.total.bytes;
      for (const e of c.endpoints.values()) {
        bytes += e.series.bytes + e.states.bytes;
        for (const k of e.keys.values()) bytes += k.series.bytes + k.states.bytes;
      }
    }
    return { clusters: this.clusters.size, endpoints: this.endpointCount, keys: this.keyCount, bytes };
  }

  toJSON(): PersistedHistory {
    return {
      format: 'switchyard-history',
      version: 1,
      savedAt: Date.now(),
      clusters: [...this.clusters.values()].map((c) => ({
        name: c.name,
        total: encodeSeries(c.total),
        endpoints: [...c.endpoints.values()].map((e) => ({
          name: e.name,
          series: encodeSeries(e.series),
          states: encodeStates(e.states),
          keys: [...e.keys.values()].map((k) => ({ key: k.key, series: encodeSeries(k.series), states: encodeStates(k.states) })),
        })),
      })),
    };
  }

  /**
   * Reads what `toJSON()` wrote, keeping the buckets still within range at `now`. Anything else
   * (another version, a truncated file, garbage) gives an empty history or skips the bad parts; never throws.
   */
  static fromJSON(data: unknown, now: number = Date.now(), limits: HistoryLimits = DEFAULT_HISTORY_LIMITS): TrafficHistory {
    const h = new TrafficHistory(limits);
    const d = data as Partial<PersistedHistory> | null;
    if (!d || typeof d !== 'object' || d.format !== 'switchyard-history' || d.version !== 1 || !Array.isArray(d.clusters)) return h;
    for (const pc of d.clusters as unknown[]) {
      const c = pc as Partial<PersistedHistory['clusters'][number]> | null;
      if (!c || typeof c.name !== 'string') continue;
      const cluster = h.clusterSeries(c.name, 0);
      if (!cluster) continue;
      decodeSeries(cluster.total, c.total, now);
      for (const pe of Array.isArray(c.endpoints) ? (c.endpoints as unknown[]) : []) {
        const e = pe as Partial<PersistedHistory['clusters'][number]['endpoints'][number]> | null;
        if (!e || typeof e.name !== 'string') continue;
        const endpoint = h.endpointSeries(cluster, e.name, 0);
        if (!endpoint) continue;
        decodeSeries(endpoint.series, e.series, now);
        decodeStates(endpoint.states, e.states, ENDPOINT_STATES_AND_PROBES, now);
        for (const pk of Array.isArray(e.keys) ? (e.keys as unknown[]) : []) {
          const k = pk as { key?: unknown; series?: unknown; states?: unknown } | null;
          if (!k || typeof k.key !== 'string') continue;
          const key = h.keySeries(endpoint, k.key, 0);
          if (!key) continue;
          decodeSeries(key.series, k.series, now);
          decodeStates(key.states, k.states, KEY_STATES, now);
          key.series.lastAt = lastRecorded(key.series);
        }
        endpoint.series.lastAt = lastRecorded(endpoint.series);
      }
      cluster.total.lastAt = lastRecorded(cluster.total);
    }
    return h;
  }

  private build(range: HistoryRange, cluster: string | undefined, now: number, since?: number): HistoryView {
    const names = [...this.clusters.values()].sort((a, b) => b.total.lastAt - a.total.lastAt).map((c) => c.name);
    const name = cluster ?? names[0] ?? null;
    return buildView(name === null ? undefined : this.clusters.get(name), name, names, range, now, since);
  }

  private clusterSeries(name: string, at: number): ClusterSeries | undefined {
    let c = this.clusters.get(name);
    if (c) return c;
    if (typeof name !== 'string' || this.limits.clusters < 1) return undefined;
    if (this.clusters.size >= this.limits.clusters) {
      const oldest = leastRecent(this.clusters.values(), (x) => x.total);
      if (!oldest || oldest.total.lastAt > at) return undefined;
      this.dropCluster(oldest);
    }
    c = new ClusterSeries(name);
    this.clusters.set(name, c);
    return c;
  }

  private endpointSeries(c: ClusterSeries, name: string, at: number): EndpointSeries | undefined {
    let e = c.endpoints.get(name);
    if (e) return e;
    if (typeof name !== 'string' || this.limits.endpoints < 1) return undefined;
    if (this.endpointCount >= this.limits.endpoints) {
      const oldest = leastRecent(this.allEndpoints(), (x) => x.series);
      // A series still in use is not given up for a newcomer that is no newer.
      if (!oldest || oldest.series.lastAt > at) return undefined;
      this.dropEndpoint(oldest);
    }
    e = new EndpointSeries(name, c, this.limits.endpointEvents);
    c.endpoints.set(name, e);
    this.endpointCount++;
    return e;
  }

  private keySeries(e: EndpointSeries, key: string, at: number): KeySeries | undefined {
    let k = e.keys.get(key);
    if (k) return k;
    if (typeof key !== 'string' || this.limits.keys < 1) return undefined;
    if (this.keyCount >= this.limits.keys) {
      let oldest: { e: EndpointSeries; k: KeySeries } | undefined;
      for (const ep of this.allEndpoints()) for (const kk of ep.keys.values()) if (!oldest || kk.series.lastAt < oldest.k.series.lastAt) oldest = { e: ep, k: kk };
      if (!oldest || oldest.k.series.lastAt > at) return undefined;
      oldest.e.keys.delete(oldest.k.key);
      this.keyCount--;
    }
    k = new KeySeries(key, this.limits.keyEvents);
    e.keys.set(key, k);
    this.keyCount++;
    return k;
  }

  private *allEndpoints(): Iterable<EndpointSeries> {
    for (const c of this.clusters.values()) yield* c.endpoints.values();
  }

  private dropCluster(c: ClusterSeries): void {
    for (const e of [...c.endpoints.values()]) this.dropEndpoint(e);
    this.clusters.delete(c.name);
  }

  private dropEndpoint(e: EndpointSeries): void {
    this.keyCount -= e.keys.size;
    this.endpointCount--;
    e.cluster.endpoints.delete(e.name);
  }
}

const ENDPOINT_STATES_AND_PROBES: ReadonlySet<string> = new Set([...ENDPOINT_STATES, 'probe']);

function leastRecent<T>(items: Iterable<T>, series: (item: T) => Series): T | undefined {
  let best: T | undefined;
  for (const item of items) if (best === undefined || series(item).lastAt < series(best).lastAt) best = item;
  return best;
}

/** The start of the newest bucket a restored series holds, so eviction order survives a restart. */
function lastRecorded(series: Series): number {
  let last = 0;
  for (let slot = 0; slot < series.fine.spec.slots; slot++) last = Math.max(last, series.fine.epoch[slot] * series.fine.spec.bucketMs);
  for (let slot = 0; slot < series.coarse.spec.slots; slot++) last = Math.max(last, series.coarse.epoch[slot] * series.coarse.spec.bucketMs);
  return last;
}
