// Fixed-size rings behind the traffic history: time buckets of counters for one series, and a log of state changes.

import { TTFB_BINS } from './historyHistogram';

/** One resolution of buckets: how long a bucket is and how many a ring keeps. */
export interface RingSpec {
  bucketMs: number;
  slots: number;
}

/** 10 s buckets covering 1 h. */
export const FINE: RingSpec = { bucketMs: 10_000, slots: 360 };
/** 1 min buckets covering 6 h. */
export const COARSE: RingSpec = { bucketMs: 60_000, slots: 360 };

/** Counter positions within one slot. */
export const REQUESTS = 0;
export const FAILURES = 1;
/** Requests whose cost was known. */
export const PRICED = 2;
export const INPUT_TOKENS = 3;
export const OUTPUT_TOKENS = 4;
export const CACHE_READ_TOKENS = 5;
export const CACHE_WRITE_TOKENS = 6;
/** First TTFB bin (rings with a histogram only). */
export const TTFB = 7;

const MAX_U32 = 0xffffffff;
/** Beyond this an absolute 10 s bucket number would not fit the Int32 epoch (year 2650). */
const MAX_AT = 2 ** 31 * FINE.bucketMs - 1;

/**
 * One resolution of one series: `slots` buckets, each holding counters (requests, failures, priced,
 * four token counts, optionally the TTFB bins) and a cost. Each slot remembers which absolute bucket
 * it holds, so stale slots need no sweeping: a slot is reused when a newer bucket lands on it, and a
 * view only reads slots whose bucket number is the one it asks for.
 */
export class BucketRing {
  /** Absolute bucket number (floor(at / bucketMs)) held by each slot; -1 for never used. */
  readonly epoch: Int32Array;
  readonly counts: Uint32Array;
  readonly cost: Float64Array;
  readonly width: number;

  constructor(readonly spec: RingSpec, readonly withTtfb: boolean) {
    this.width = TTFB + (withTtfb ? TTFB_BINS : 0);
    this.epoch = new Int32Array(spec.slots).fill(-1);
    this.counts = new Uint32Array(spec.slots * this.width);
    this.cost = new Float64Array(spec.slots);
  }

  /** The slot for the bucket holding `at`, cleared first if it held an older bucket; -1 when it holds a newer one (a late record). */
  slotFor(at: number): number {
    if (!(at >= 0 && at <= MAX_AT)) return -1;
    const bucket = Math.floor(at / this.spec.bucketMs);
    const slot = bucket % this.spec.slots;
    const held = this.epoch[slot];
    if (held === bucket) return slot;
    if (held > bucket) return -1;
    this.epoch[slot] = bucket;
    this.counts.fill(0, slot * this.width, (slot + 1) * this.width);
    this.cost[slot] = 0;
    return slot;
  }

  /** The slot holding absolute bucket `bucket`, or -1 when no slot does. */
  find(bucket: number): number {
    const slot = bucket % this.spec.slots;
    return slot >= 0 && this.epoch[slot] === bucket ? slot : -1;
  }

  /** Adds `n` to counter `field` of `slot`, saturating instead of wrapping. */
  add(slot: number, field: number, n: number): void {
    if (!(n > 0)) return;
    const i = slot * this.width + field;
    const v = this.counts[i] + Math.round(n);
    this.counts[i] = v > MAX_U32 ? MAX_U32 : v;
  }

  get(slot: number, field: number): number {
    return this.counts[slot * this.width + field];
  }

  clear(): void {
    this.epoch.fill(-1);
    this.counts.fill(0);
    this.cost.fill(0);
  }

  get bytes(): number {
    return this.epoch.byteLength + this.counts.byteLength + this.cost.byteLength;
  }
}

/**
 * A bounded log of state changes (and probe marks): the newest `capacity` events, oldest dropped first.
 * Events are kept in arrival order; they arrive in time order from one process.
 */
export class StateLog {
  readonly at: Float64Array;
  /** NaN for none. */
  readonly until: Float64Array;
  readonly code: Uint8Array;
  readonly cause: (string | null)[];
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.at = new Float64Array(capacity);
    this.until = new Float64Array(capacity);
    this.code = new Uint8Array(capacity);
    this.cause = new Array<string | null>(capacity).fill(null);
  }

  push(at: number, code: number, cause: string | null, until: number): void {
    const i = (this.head + this.size) % this.capacity;
    this.at[i] = at;
    this.code[i] = code;
    this.cause[i] = cause;
    this.until[i] = until;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
  }

  get length(): number {
    return this.size;
  }

  /** Physical index of the n-th oldest event. */
  index(n: number): number {
    return (this.head + n) % this.capacity;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.cause.fill(null);
  }

  get bytes(): number {
    return this.at.byteLength + this.until.byteLength + this.code.byteLength + this.capacity * 8;
  }
}
