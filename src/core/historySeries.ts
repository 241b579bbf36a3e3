// The series the traffic history keeps: per cluster (all its requests), per endpoint and per key, each with both rings.

import { ttfbBin } from './historyHistogram';
import { BucketRing, CACHE_READ_TOKENS, CACHE_WRITE_TOKENS, COARSE, FAILURES, FINE, INPUT_TOKENS, OUTPUT_TOKENS, PRICED, REQUESTS, StateLog, TTFB } from './historyRing';

export type EndpointHistoryState = 'healthy' | 'degraded' | 'unhealthy' | 'open';
export type KeyHistoryState = 'ok' | 'cooling' | 'invalid';
export type HistoryState = EndpointHistoryState | KeyHistoryState;
/** What a state log holds: state changes, and `probe` marks (half-open probes of an open circuit). */
export type HistoryEventKind = HistoryState | 'probe';

/** Event kinds by their code in a StateLog. */
export const EVENT_KINDS: readonly HistoryEventKind[] = ['healthy', 'degraded', 'unhealthy', 'open', 'ok', 'cooling', 'invalid', 'probe'];
export const ENDPOINT_STATES: ReadonlySet<string> = new Set(['healthy', 'degraded', 'unhealthy', 'open']);
export const KEY_STATES: ReadonlySet<string> = new Set(['ok', 'cooling', 'invalid']);
export const PROBE_CODE = 7;

/** Token counts as the proxy reads them from a response; null = not reported. */
export interface RecordedUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
}

/** Both resolutions of one series of counters. */
export class Series {
  readonly fine: BucketRing;
  readonly coarse: BucketRing;
  /** When it last recorded something, for evicting the least recently used series at the cap. */
  lastAt = 0;

  constructor(withTtfb: boolean) {
    this.fine = new BucketRing(FINE, withTtfb);
    this.coarse = new BucketRing(COARSE, withTtfb);
  }

  /** Adds one observation to the bucket of `at` in both rings; allocates nothing. `ttfbMs` NaN = none. */
  record(at: number, requests: number, failures: number, ttfbMs: number, usage: RecordedUsage | undefined, costUsd: number | undefined): void {
    if (at > this.lastAt) this.lastAt = at;
    const bin = ttfbMs >= 0 && this.fine.withTtfb ? ttfbBin(ttfbMs) : -1;
    this.recordIn(this.fine, at, requests, failures, bin, usage, costUsd);
    this.recordIn(this.coarse, at, requests, failures, bin, usage, costUsd);
  }

  private recordIn(ring: BucketRing, at: number, requests: number, failures: number, bin: number, usage: RecordedUsage | undefined, costUsd: number | undefined): void {
    const slot = ring.slotFor(at);
    if (slot === -1) return;
    ring.add(slot, REQUESTS, requests);
    ring.add(slot, FAILURES, failures);
    if (bin >= 0) ring.add(slot, TTFB + bin, 1);
    if (usage) {
      ring.add(slot, INPUT_TOKENS, usage.inputTokens ?? 0);
      ring.add(slot, OUTPUT_TOKENS, usage.outputTokens ?? 0);
      ring.add(slot, CACHE_READ_TOKENS, usage.cacheReadTokens ?? 0);
      ring.add(slot, CACHE_WRITE_TOKENS, usage.cacheWriteTokens ?? 0);
    }
    if (costUsd !== undefined && costUsd >= 0 && costUsd < Infinity) {
      ring.add(slot, PRICED, 1);
      ring.cost[slot] += costUsd;
    }
  }

  clear(): void {
    this.fine.clear();
    this.coarse.clear();
    this.lastAt = 0;
  }

  get bytes(): number {
    return this.fine.bytes + this.coarse.bytes;
  }
}

/** One key of one endpoint (by its suffix): its counters and its ok / cooling / invalid changes. */
export class KeySeries {
  readonly series = new Series(false);
  readonly states: StateLog;

  constructor(public key: string, stateCapacity: number) {
    this.states = new StateLog(stateCapacity);
  }
}

/** One endpoint: counters of the attempts it served, TTFB, its health changes and probes, its keys. */
export class EndpointSeries {
  readonly series = new Series(true);
  readonly states: StateLog;
  readonly keys = new Map<string, KeySeries>();

  constructor(public name: string, public cluster: ClusterSeries, stateCapacity: number) {
    this.states = new StateLog(stateCapacity);
  }
}

/** One cluster: counters of every request it got (one per request, whatever the attempts), and its endpoints. */
export class ClusterSeries {
  readonly total = new Series(true);
  readonly endpoints = new Map<string, EndpointSeries>();

  constructor(public name: string) {}
}
