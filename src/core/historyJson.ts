// The persisted form of one series and one state log (what survives a proxy restart), read back tolerantly.

import { TTFB_BINS } from './historyHistogram';
import { BucketRing, StateLog, TTFB } from './historyRing';
import { EVENT_KINDS, Series } from './historySeries';

/**
 * One bucket: `[bucket, requests, failures, priced, input, output, cacheRead, cacheWrite, costUsd, bin, count, bin, count, …]`,
 * `bucket` being floor(at / bucketMs) and the TTFB bins sparse (only non-empty ones, as pairs).
 */
export type PersistedBucket = number[];

export interface PersistedSeries {
  fine: PersistedBucket[];
  coarse: PersistedBucket[];
}

export interface PersistedStates {
  at: number[];
  state: string[];
  cause: (string | null)[];
  until: (number | null)[];
}

/** Counters before the cost: requests … cacheWrite (ring fields 0 … TTFB - 1). */
const COUNTERS = TTFB;
const MAX_U32 = 0xffffffff;
const MAX_CAUSE = 64;

function encodeRing(ring: BucketRing): PersistedBucket[] {
  const out: PersistedBucket[] = [];
  for (let slot = 0; slot < ring.spec.slots; slot++) {
    if (ring.epoch[slot] < 0) continue;
    const row = [ring.epoch[slot]];
    for (let f = 0; f < COUNTERS; f++) row.push(ring.get(slot, f));
    row.push(ring.cost[slot]);
    if (ring.withTtfb) for (let i = 0; i < TTFB_BINS; i++) if (ring.get(slot, TTFB + i) > 0) row.push(i, ring.get(slot, TTFB + i));
    if (row.some((v, i) => i > 0 && v > 0)) out.push(row);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

export function encodeSeries(series: Series): PersistedSeries {
  return { fine: encodeRing(series.fine), coarse: encodeRing(series.coarse) };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 && value < Infinity ? Math.min(Math.round(value), MAX_U32) : undefined;
}

/** Fills the ring from persisted buckets, keeping only those within its span ending at `now`; garbage is skipped. */
function decodeRing(ring: BucketRing, data: unknown, now: number): void {
  if (!Array.isArray(data)) return;
  const last = Math.floor(now / ring.spec.bucketMs);
  const first = last - ring.spec.slots + 1;
  for (const row of data) {
    if (!Array.isArray(row) || row.length < COUNTERS + 2) continue;
    const bucket = row[0];
    if (!Number.isInteger(bucket) || bucket < first || bucket > last) continue;
    const values = row.slice(1, COUNTERS + 1).map(count);
    const cost = row[COUNTERS + 1];
    if (values.some((v) => v === undefined) || !(typeof cost === 'number' && cost >= 0 && cost < Infinity)) continue;
    const slot = ring.slotFor(bucket * ring.spec.bucketMs);
    if (slot === -1) continue;
    values.forEach((v, f) => ring.add(slot, f, v!));
    ring.cost[slot] += cost;
    if (!ring.withTtfb) continue;
    for (let i = COUNTERS + 2; i + 1 < row.length; i += 2) {
      const bin = row[i];
      const n = count(row[i + 1]);
      if (Number.isInteger(bin) && bin >= 0 && bin < TTFB_BINS && n !== undefined) ring.add(slot, TTFB + bin, n);
    }
  }
}

export function decodeSeries(series: Series, data: unknown, now: number): void {
  if (!data || typeof data !== 'object') return;
  const d = data as Partial<Record<keyof PersistedSeries, unknown>>;
  decodeRing(series.fine, d.fine, now);
  decodeRing(series.coarse, d.coarse, now);
}

export function encodeStates(log: StateLog): PersistedStates {
  const out: PersistedStates = { at: [], state: [], cause: [], until: [] };
  for (let n = 0; n < log.length; n++) {
    const i = log.index(n);
    out.at.push(log.at[i]);
    out.state.push(EVENT_KINDS[log.code[i]]);
    out.cause.push(log.cause[i]);
    out.until.push(Number.isNaN(log.until[i]) ? null : log.until[i]);
  }
  return out;
}

/** Appends the persisted events that are valid and of an allowed kind, up to `now`. */
export function decodeStates(log: StateLog, data: unknown, allowed: ReadonlySet<string>, now: number): void {
  if (!data || typeof data !== 'object') return;
  const d = data as Partial<Record<keyof PersistedStates, unknown>>;
  if (!Array.isArray(d.at) || !Array.isArray(d.state)) return;
  const causes = Array.isArray(d.cause) ? d.cause : [];
  const untils = Array.isArray(d.until) ? d.until : [];
  for (let i = 0; i < d.at.length; i++) {
    const at: unknown = d.at[i];
    const state: unknown = d.state[i];
    if (typeof at !== 'number' || !(at >= 0 && at <= now) || typeof state !== 'string' || !allowed.has(state)) continue;
    const cause: unknown = causes[i];
    const until: unknown = untils[i];
    log.push(at, EVENT_KINDS.indexOf(state as never), typeof cause === 'string' ? cause.slice(0, MAX_CAUSE) : null, typeof until === 'number' && Number.isFinite(until) ? until : NaN);
  }
}
