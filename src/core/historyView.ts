// The plain-JSON view of the traffic history that the dashboard draws: columnar, one value per bucket, percentiles precomputed.

import { binPercentile, TTFB_BINS } from './historyHistogram';
import { BucketRing, CACHE_READ_TOKENS, CACHE_WRITE_TOKENS, COARSE, FAILURES, FINE, INPUT_TOKENS, OUTPUT_TOKENS, PRICED, REQUESTS, StateLog, TTFB } from './historyRing';
import { ClusterSeries, ENDPOINT_STATES, EVENT_KINDS, HistoryEventKind, KEY_STATES, Series } from './historySeries';

export type HistoryRange = '15m' | '1h' | '6h';
export const HISTORY_RANGES: readonly HistoryRange[] = ['15m', '1h', '6h'];

/** Which ring a range reads and how many of its buckets. */
export const RANGE_SPECS: Record<HistoryRange, { fine: boolean; bucketMs: number; buckets: number }> = {
  '15m': { fine: true, bucketMs: FINE.bucketMs, buckets: 90 },
  '1h': { fine: true, bucketMs: FINE.bucketMs, buckets: FINE.slots },
  '6h': { fine: false, bucketMs: COARSE.bucketMs, buckets: COARSE.slots },
};

export function isHistoryRange(value: unknown): value is HistoryRange {
  return typeof value === 'string' && (HISTORY_RANGES as readonly string[]).includes(value);
}

/** Sums over the whole range. */
export interface RangeTotals {
  requests: number;
  failures: number;
  /** ms; null without samples (and always for keys, which keep no TTFB). */
  ttfbP50: number | null;
  ttfbP95: number | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD of the requests whose price was known; null when none was. */
  costUsd: number | null;
}

/** One value per bucket (aligned with `HistoryView.times`), plus the range's totals. */
export interface SeriesColumns {
  requests: number[];
  failures: number[];
  /** All four token counts added up. */
  tokens: number[];
  /** ms, null for a bucket without samples; absent for keys. */
  ttfbP50?: (number | null)[];
  ttfbP95?: (number | null)[];
  totals: RangeTotals;
}

/**
 * State changes and probe marks, oldest first, columnar. A full view also holds the last state change
 * before the range (so the state at its start is known); a delta holds the events from its first bucket on.
 */
export interface StateEvents {
  at: number[];
  state: HistoryEventKind[];
  /** For a state: the cause code that led to it; for a probe: 'OK' or the cause it failed with. */
  cause: (string | null)[];
  /** When a cooldown, invalid period or ejection is due to end. */
  until: (number | null)[];
}

export interface EndpointHistory extends SeriesColumns {
  name: string;
  states: StateEvents;
}

export interface KeyHistory extends SeriesColumns {
  endpoint: string;
  /** The key's suffix, `…a1b2`. */
  key: string;
  states: StateEvents;
}

/**
 * What the dashboard draws for one cluster and range. `kind: 'full'` replaces what the page holds;
 * `kind: 'delta'` (from `latest()`) carries only the buckets from `times[0]` on, which replace the
 * page's buckets from that time on; the page drops buckets before `start`. Totals always cover the range.
 */
export interface HistoryView {
  version: 1;
  kind: 'full' | 'delta';
  range: HistoryRange;
  cluster: string | null;
  /** Clusters the history has, most recently used first. */
  clusters: string[];
  bucketMs: number;
  /** Start of the range's first bucket (ms since the epoch). */
  start: number;
  /** Start of each bucket carried, oldest first (ms since the epoch). */
  times: number[];
  /** The cluster as a whole, counted once per request. */
  total: SeriesColumns;
  /** Per endpoint, counted once per attempt it served. */
  endpoints: EndpointHistory[];
  keys: KeyHistory[];
}

function roundMs(ms: number | null): number | null {
  if (ms === null) return null;
  return ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms);
}

function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

interface Window {
  fine: boolean;
  bucketMs: number;
  /** Absolute bucket numbers: first of the range, first carried, last (the current one). */
  startBucket: number;
  fromBucket: number;
  endBucket: number;
}

function columns(series: Series, withTtfb: boolean, w: Window): SeriesColumns {
  const ring: BucketRing = w.fine ? series.fine : series.coarse;
  const out: SeriesColumns = { requests: [], failures: [], tokens: [], totals: totals(ring, withTtfb, w) };
  if (withTtfb) {
    out.ttfbP50 = [];
    out.ttfbP95 = [];
  }
  for (let b = w.fromBucket; b <= w.endBucket; b++) {
    const slot = ring.find(b);
    if (slot === -1) {
      out.requests.push(0);
      out.failures.push(0);
      out.tokens.push(0);
      out.ttfbP50?.push(null);
      out.ttfbP95?.push(null);
      continue;
    }
    out.requests.push(ring.get(slot, REQUESTS));
    out.failures.push(ring.get(slot, FAILURES));
    out.tokens.push(ring.get(slot, INPUT_TOKENS) + ring.get(slot, OUTPUT_TOKENS) + ring.get(slot, CACHE_READ_TOKENS) + ring.get(slot, CACHE_WRITE_TOKENS));
    if (withTtfb) {
      const offset = slot * ring.width + TTFB;
      out.ttfbP50!.push(roundMs(binPercentile(ring.counts, offset, 0.5)));
      out.ttfbP95!.push(roundMs(binPercentile(ring.counts, offset, 0.95)));
    }
  }
  return out;
}

function totals(ring: BucketRing, withTtfb: boolean, w: Window): RangeTotals {
  const t: RangeTotals = { requests: 0, failures: 0, ttfbP50: null, ttfbP95: null, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: null };
  const bins = withTtfb ? new Float64Array(TTFB_BINS) : undefined;
  let priced = 0;
  let cost = 0;
  for (let b = w.startBucket; b <= w.endBucket; b++) {
    const slot = ring.find(b);
    if (slot === -1) continue;
    t.requests += ring.get(slot, REQUESTS);
    t.failures += ring.get(slot, FAILURES);
    t.inputTokens += ring.get(slot, INPUT_TOKENS);
    t.outputTokens += ring.get(slot, OUTPUT_TOKENS);
    t.cacheReadTokens += ring.get(slot, CACHE_READ_TOKENS);
    t.cacheWriteTokens += ring.get(slot, CACHE_WRITE_TOKENS);
    priced += ring.get(slot, PRICED);
    cost += ring.cost[slot];
    if (bins) for (let i = 0; i < TTFB_BINS; i++) bins[i] += ring.get(slot, TTFB + i);
  }
  if (priced > 0) t.costUsd = roundUsd(cost);
  if (bins) {
    t.ttfbP50 = roundMs(binPercentile(bins, 0, 0.5));
    t.ttfbP95 = roundMs(binPercentile(bins, 0, 0.95));
  }
  return t;
}

function states(log: StateLog, kinds: ReadonlySet<string>, fromAt: number, withStateBefore: boolean): StateEvents {
  const picked: number[] = [];
  let before = -1;
  for (let n = 0; n < log.length; n++) {
    const i = log.index(n);
    if (log.at[i] >= fromAt) picked.push(i);
    else if (kinds.has(EVENT_KINDS[log.code[i]]) && (before === -1 || log.at[i] >= log.at[before])) before = i;
  }
  if (withStateBefore && before !== -1) picked.push(before);
  picked.sort((a, b) => log.at[a] - log.at[b]);
  return {
    at: picked.map((i) => log.at[i]),
    state: picked.map((i) => EVENT_KINDS[log.code[i]]),
    cause: picked.map((i) => log.cause[i]),
    until: picked.map((i) => (Number.isNaN(log.until[i]) ? null : log.until[i])),
  };
}

let empty: Series | undefined;
function emptySeries(): Series {
  return (empty ??= new Series(true));
}

/**
 * Builds the view of `cluster` (which may be unknown: then everything is zero) for the range ending
 * with the bucket of `now`. With `since`, a delta from the bucket holding `since` on (a full view when
 * `since` is before the range).
 */
export function buildView(cluster: ClusterSeries | undefined, name: string | null, clusters: string[], range: HistoryRange, now: number, since?: number): HistoryView {
  const spec = RANGE_SPECS[range];
  const endBucket = Math.floor(now / spec.bucketMs);
  const startBucket = endBucket - spec.buckets + 1;
  const sinceBucket = since === undefined || !Number.isFinite(since) ? -Infinity : Math.floor(since / spec.bucketMs);
  const kind = sinceBucket >= startBucket ? 'delta' : 'full';
  const fromBucket = kind === 'delta' ? Math.min(sinceBucket, endBucket) : startBucket;
  const w: Window = { fine: spec.fine, bucketMs: spec.bucketMs, startBucket, fromBucket, endBucket };
  const fromAt = fromBucket * spec.bucketMs;
  const times: number[] = [];
  for (let b = fromBucket; b <= endBucket; b++) times.push(b * spec.bucketMs);
  const endpoints = cluster ? [...cluster.endpoints.values()] : [];
  return {
    version: 1,
    kind,
    range,
    cluster: name,
    clusters,
    bucketMs: spec.bucketMs,
    start: startBucket * spec.bucketMs,
    times,
    total: columns(cluster?.total ?? emptySeries(), true, w),
    endpoints: endpoints.map((e) => ({ name: e.name, ...columns(e.series, true, w), states: states(e.states, ENDPOINT_STATES, fromAt, kind === 'full') })),
    keys: endpoints.flatMap((e) => [...e.keys.values()].map((k) => ({ endpoint: e.name, key: k.key, ...columns(k.series, false, w), states: states(k.states, KEY_STATES, fromAt, kind === 'full') }))),
  };
}
