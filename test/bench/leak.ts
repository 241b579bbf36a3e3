// The leak check: 10,000 requests through Switchyard, 1 in 10 aborted by the client mid-stream; sockets and heap before/after.

import { Pool } from 'undici';
import { Child, openFds } from './children';
import { GcHandle } from './inspector';
import { clientPool, messageRequest, timedJson } from './load';
import { switchyardStats, upstreamStats } from './streams';

export interface LeakSnapshot {
  upstreamSockets: number;
  heapUsedBytes: number;
  rssBytes: number;
  openFds: number;
  inFlight: number;
  upstreamConnections: number;
}

export interface MixResult {
  requests: number;
  completed: number;
  aborted: number;
  errors: number;
  seconds: number;
}

export interface LeakResult {
  concurrency: number;
  warmup: MixResult;
  run: MixResult;
  before: LeakSnapshot;
  after: LeakSnapshot;
  settleMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A slow stream read up to its first event, then aborted by the client. */
async function abortedStream(pool: Pool): Promise<void> {
  const ac = new AbortController();
  const res = await pool.request(messageRequest('slow', ac.signal));
  res.body.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    res.body.once('data', () => resolve());
    res.body.once('end', () => reject(new Error('slow stream ended before the abort')));
  });
  ac.abort();
}

async function fastStream(pool: Pool): Promise<void> {
  const res = await pool.request(messageRequest('sse'));
  const text = await res.body.text();
  if (res.statusCode !== 200 || !text.includes('message_stop')) throw new Error('stream incomplete');
}

/** `total` requests at `concurrency`: every `abortEvery`-th is aborted mid-stream; the rest alternate JSON and SSE. */
export async function requestMix(pool: Pool, total: number, concurrency: number, abortEvery: number): Promise<MixResult> {
  let issued = 0;
  const r: MixResult = { requests: total, completed: 0, aborted: 0, errors: 0, seconds: 0 };
  const worker = async () => {
    while (issued < total) {
      const i = issued++;
      try {
        if (i % abortEvery === abortEvery - 1) {
          await abortedStream(pool);
          r.aborted++;
        } else {
          await (i % 2 === 0 ? timedJson(pool) : fastStream(pool));
          r.completed++;
        }
      } catch {
        r.errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

async function snapshot(proxy: Child, upstreamUrl: string): Promise<LeakSnapshot> {
  const s = await switchyardStats(proxy.url);
  return {
    upstreamSockets: s.upstreamSockets,
    heapUsedBytes: s.memory.heapUsedBytes,
    rssBytes: s.memory.rssBytes,
    openFds: openFds(proxy.pid),
    inFlight: s.requests.inFlight,
    upstreamConnections: (await upstreamStats(upstreamUrl)).openConnections,
  };
}

/** Waits for in-flight requests to drain (up to 5 s), then a moment more, then a full GC. */
async function settle(proxy: Child, gc: GcHandle): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) {
    if ((await switchyardStats(proxy.url)).requests.inFlight === 0) break;
    await sleep(50);
  }
  await sleep(500);
  await gc.collect();
  return performance.now() - t0;
}

export async function leakCheck(proxy: Child, gc: GcHandle, upstreamUrl: string, concurrency: number, total: number, abortEvery: number): Promise<LeakResult> {
  const pool = clientPool(proxy.url, concurrency);
  try {
    const warmup = await requestMix(pool, Math.round(total / 5), concurrency, abortEvery);
    await settle(proxy, gc);
    const before = await snapshot(proxy, upstreamUrl);
    const run = await requestMix(pool, total, concurrency, abortEvery);
    const settleMs = await settle(proxy, gc);
    const after = await snapshot(proxy, upstreamUrl);
    return { concurrency, warmup, run, before, after, settleMs };
  } finally {
    await pool.destroy();
  }
}
