// Traffic history: bucket rollover and range views, TTFB percentiles, state events, retain(), caps, deltas, JSON round trip, flat memory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { RecordedRequest, TrafficHistory } from '../../src/core/history';
import { binEdges, binPercentile, TTFB_BINS, ttfbBin } from '../../src/core/historyHistogram';
import { HistoryRecorder } from '../../src/core/historyRecorder';
import { mergeHistory } from '../../src/dashboard/historyMerge';
import type { RequestRecord } from '../../src/core/log';
import type { RuntimeSnapshot } from '../../src/core/runtime';

/** A round time (a multiple of 1 h) so bucket boundaries are easy to reason about. */
const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const S = 1000;
const MIN = 60 * S;

function request(at: number, over: Partial<RecordedRequest> = {}): RecordedRequest {
  return { at, cluster: 'main', endpoint: 'fast', key: '…a1b2', ok: true, ttfbMs: 200, ...over };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

test('a 15 min view has 90 buckets of 10 s ending with the current one, each request in its own bucket', () => {
  const h = new TrafficHistory();
  h.recordRequest(request(T0 + 1 * S));
  h.recordRequest(request(T0 + 9 * S, { ok: false }));
  h.recordRequest(request(T0 + 10 * S));
  const now = T0 + 25 * S;
  const v = h.view('15m', 'main', now);
  assert.equal(v.kind, 'full');
  assert.equal(v.bucketMs, 10 * S);
  assert.equal(v.times.length, 90);
  assert.equal(v.times.at(-1), T0 + 20 * S);
  assert.equal(v.start, v.times[0]);
  const fast = v.endpoints.find((e) => e.name === 'fast')!;
  const i = v.times.indexOf(T0);
  assert.deepEqual(fast.requests.slice(i, i + 3), [2, 1, 0]);
  assert.deepEqual(fast.failures.slice(i, i + 3), [1, 0, 0]);
  assert.deepEqual(v.total.requests.slice(i, i + 3), [2, 1, 0]);
  assert.equal(fast.totals.requests, 3);
  assert.equal(fast.totals.failures, 1);
  assert.deepEqual(v.clusters, ['main']);
});

test('ranges: 15 min and 1 h read the 10 s ring, 6 h the 1 min ring; older requests fall out of each range', () => {
  const h = new TrafficHistory();
  const now = T0 + 6 * 60 * MIN;
  h.recordRequest(request(now - 5 * MIN)); // in every range
  h.recordRequest(request(now - 30 * MIN)); // 1 h and 6 h
  h.recordRequest(request(now - 3 * 60 * MIN)); // 6 h only
  h.recordRequest(request(now - 7 * 60 * MIN)); // none
  assert.equal(h.view('15m', 'main', now).total.totals.requests, 1);
  assert.equal(h.view('1h', 'main', now).total.totals.requests, 2);
  const six = h.view('6h', 'main', now);
  assert.equal(six.bucketMs, MIN);
  assert.equal(six.times.length, 360);
  assert.equal(six.total.totals.requests, 3);
  assert.equal(sum(six.total.requests), 3);
  assert.equal(h.view('1h', 'main', now).times.length, 360);
});

test('a slot is reused once its bucket is an hour old: the old counts are gone from 1 h, kept in 6 h', () => {
  const h = new TrafficHistory();
  h.recordRequest(request(T0 + 5 * S));
  h.recordRequest(request(T0 + 5 * S));
  // Same 10 s slot one hour later.
  h.recordRequest(request(T0 + 60 * MIN + 5 * S));
  const now = T0 + 60 * MIN + 6 * S;
  const hour = h.view('1h', 'main', now);
  assert.equal(hour.total.totals.requests, 1);
  assert.equal(hour.total.requests.at(-1), 1);
  assert.equal(h.view('6h', 'main', now).total.totals.requests, 3);
});

test('a record older than the bucket its slot now holds is dropped, not mixed into the newer bucket', () => {
  const h = new TrafficHistory();
  h.recordRequest(request(T0 + 60 * MIN));
  h.recordRequest(request(T0)); // lands on the same 10 s slot, an hour late
  const now = T0 + 60 * MIN + S;
  assert.equal(h.view('1h', 'main', now).total.totals.requests, 1);
  assert.equal(h.view('6h', 'main', now).total.totals.requests, 2, 'the 1 min ring still has room for it');
});

test('failed attempts count on their own endpoint and key; TTFB, tokens and cost go to the one that answered', () => {
  const h = new TrafficHistory();
  h.recordRequest({
    at: T0,
    cluster: 'main',
    endpoint: 'fast',
    key: '…a1b2',
    ok: true,
    ttfbMs: 300,
    usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 400, cacheWriteTokens: null },
    costUsd: 0.0123,
    attempts: [
      { endpoint: 'down', key: '…c3d4', ok: false },
      { endpoint: 'fast', key: '…a1b2', ok: true },
    ],
  });
  const v = h.view('15m', 'main', T0 + S);
  const down = v.endpoints.find((e) => e.name === 'down')!;
  const fast = v.endpoints.find((e) => e.name === 'fast')!;
  assert.deepEqual([down.totals.requests, down.totals.failures, down.totals.ttfbP50], [1, 1, null]);
  assert.deepEqual([fast.totals.requests, fast.totals.failures], [1, 0]);
  assert.ok(fast.totals.ttfbP50! > 250 && fast.totals.ttfbP50! < 350);
  assert.deepEqual([v.total.totals.requests, v.total.totals.failures], [1, 0]);
  const key = v.keys.find((k) => k.key === '…a1b2')!;
  assert.equal(key.endpoint, 'fast');
  assert.deepEqual([key.totals.inputTokens, key.totals.outputTokens, key.totals.cacheReadTokens, key.totals.cacheWriteTokens, key.totals.costUsd], [100, 50, 400, 0, 0.0123]);
  assert.equal(sum(key.tokens), 550);
  assert.equal(key.ttfbP50, undefined, 'keys keep no TTFB');
  const other = v.keys.find((k) => k.key === '…c3d4')!;
  assert.deepEqual([other.totals.requests, other.totals.failures, other.totals.costUsd], [1, 1, null]);
});

test('cost is null when no request had a known price, and sums those that had one', () => {
  const h = new TrafficHistory();
  h.recordRequest(request(T0));
  assert.equal(h.view('15m', 'main', T0).total.totals.costUsd, null);
  h.recordRequest(request(T0, { costUsd: 0.5 }));
  h.recordRequest(request(T0, { costUsd: 0.25 }));
  assert.equal(h.view('15m', 'main', T0).total.totals.costUsd, 0.75);
});

test('bins are log-spaced from 1 ms to 10 min and every value falls in the bin whose edges hold it', () => {
  assert.equal(ttfbBin(0), 0);
  assert.equal(ttfbBin(0.5), 0);
  assert.equal(ttfbBin(600_000), TTFB_BINS - 1);
  assert.equal(ttfbBin(3_600_000), TTFB_BINS - 1);
  for (const ms of [1.5, 3, 17, 99, 250, 1000, 4321, 60_000, 599_000]) {
    const [lo, hi] = binEdges(ttfbBin(ms));
    assert.ok(lo <= ms && ms < hi, `${ms} in [${lo}, ${hi})`);
  }
  const ratio = binEdges(10)[1] / binEdges(10)[0];
  assert.ok(ratio > 1.3 && ratio < 1.5, `bin ratio ${ratio}`);
});

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

test('p50 and p95 from the bins are within one bin of the exact percentiles for known distributions', () => {
  const random = rng(42);
  const ratio = binEdges(10)[1] / binEdges(10)[0];
  const distributions: Record<string, () => number> = {
    'uniform 100–1000 ms': () => 100 + 900 * random(),
    'log-normal around 400 ms': () => Math.exp(Math.log(400) + 0.8 * Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random())),
    'bimodal 50 ms / 5 s': () => (random() < 0.8 ? 40 + 20 * random() : 4000 + 2000 * random()),
    'constant 250 ms': () => 250,
  };
  for (const [name, draw] of Object.entries(distributions)) {
    const h = new TrafficHistory();
    const samples: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const ms = draw();
      samples.push(ms);
      h.recordRequest(request(T0 + (i % 10) * S, { ttfbMs: ms }));
    }
    samples.sort((a, b) => a - b);
    const t = h.view('15m', 'main', T0 + 10 * S).endpoints[0].totals;
    for (const [p, got] of [[0.5, t.ttfbP50], [0.95, t.ttfbP95]] as const) {
      const want = exactPercentile(samples, p);
      assert.ok(got !== null);
      assert.ok(Math.abs(Math.log(got / want)) <= Math.log(ratio), `${name} p${p * 100}: ${got} vs exact ${want}`);
    }
  }
});

test('per-bucket percentiles come from that bucket alone; a bucket without TTFB samples has null', () => {
  const h = new TrafficHistory();
  for (let i = 0; i < 100; i++) h.recordRequest(request(T0, { ttfbMs: 100 }));
  for (let i = 0; i < 100; i++) h.recordRequest(request(T0 + 10 * S, { ttfbMs: 2000 }));
  h.recordRequest(request(T0 + 20 * S, { ttfbMs: null, ok: false }));
  const v = h.view('15m', 'main', T0 + 20 * S);
  const e = v.endpoints[0];
  const [a, b, c] = e.ttfbP50!.slice(-3);
  assert.ok(a! > 80 && a! < 125, `first bucket p50 ${a}`);
  assert.ok(b! > 1600 && b! < 2500, `second bucket p50 ${b}`);
  assert.equal(c, null);
  assert.equal(binPercentile(new Uint32Array(TTFB_BINS), 0, 0.5), null);
});

test('state events: the range holds its changes plus the last one before it; probes and key cooldowns are marked', () => {
  const h = new TrafficHistory();
  h.recordState({ at: T0 - 30 * MIN, cluster: 'main', endpoint: 'down', state: 'degraded', cause: 'UPSTREAM_5XX' });
  h.recordState({ at: T0 - 20 * MIN, cluster: 'main', endpoint: 'down', state: 'unhealthy', cause: 'UPSTREAM_5XX' });
  h.recordState({ at: T0 - 5 * MIN, cluster: 'main', endpoint: 'down', state: 'open', cause: 'UPSTREAM_CONNECT', until: T0 - 4 * MIN });
  h.recordProbe({ at: T0 - 4 * MIN, cluster: 'main', endpoint: 'down', ok: false, cause: 'UPSTREAM_CONNECT' });
  h.recordProbe({ at: T0 - 2 * MIN, cluster: 'main', endpoint: 'down', ok: true });
  h.recordState({ at: T0 - 2 * MIN, cluster: 'main', endpoint: 'down', state: 'healthy' });
  h.recordState({ at: T0 - 1 * MIN, cluster: 'main', endpoint: 'down', key: '…c3d4', state: 'cooling', cause: 'RATE_LIMITED', until: T0 + MIN });
  // Wrong kinds for the target are ignored.
  h.recordState({ at: T0, cluster: 'main', endpoint: 'down', state: 'cooling' });
  h.recordState({ at: T0, cluster: 'main', endpoint: 'down', key: '…c3d4', state: 'open' });
  h.recordState({ at: T0, cluster: 'main', endpoint: 'down', state: 'bogus' as never });

  const v = h.view('15m', 'main', T0);
  const down = v.endpoints.find((e) => e.name === 'down')!;
  assert.deepEqual(down.states.state, ['unhealthy', 'open', 'probe', 'probe', 'healthy']);
  assert.deepEqual(down.states.cause, ['UPSTREAM_5XX', 'UPSTREAM_CONNECT', 'UPSTREAM_CONNECT', 'OK', null]);
  assert.deepEqual(down.states.until, [null, T0 - 4 * MIN, null, null, null]);
  assert.equal(down.states.at[0], T0 - 20 * MIN, 'the state the range starts in');
  const key = v.keys.find((k) => k.key === '…c3d4')!;
  assert.deepEqual([key.states.state, key.states.until], [['cooling'], [T0 + MIN]]);
});

test('the state log is bounded: only the newest events are kept', () => {
  const h = new TrafficHistory({ clusters: 1, endpoints: 1, keys: 1, endpointEvents: 8, keyEvents: 4 });
  for (let i = 0; i < 100; i++) h.recordState({ at: T0 + i * S, cluster: 'main', endpoint: 'e', state: i % 2 ? 'healthy' : 'degraded' });
  const s = h.view('15m', 'main', T0 + 100 * S).endpoints[0].states;
  assert.equal(s.at.length, 8);
  assert.equal(s.at.at(-1), T0 + 99 * S);
});

test('retain() drops clusters, endpoints and keys that no longer exist', () => {
  const h = new TrafficHistory();
  h.recordRequest(request(T0, { cluster: 'main', endpoint: 'fast', key: '…a1b2' }));
  h.recordRequest(request(T0, { cluster: 'main', endpoint: 'fast', key: '…zzzz' }));
  h.recordRequest(request(T0, { cluster: 'main', endpoint: 'gone', key: null }));
  h.recordRequest(request(T0, { cluster: 'old', endpoint: 'x', key: null }));
  assert.deepEqual(h.footprint().endpoints, 3);
  const before = h.footprint().bytes;
  h.retain([{ name: 'main', endpoints: [{ name: 'fast', keys: [{ suffix: '…a1b2' }] }] }]);
  const f = h.footprint();
  assert.deepEqual([f.clusters, f.endpoints, f.keys], [1, 1, 1]);
  assert.ok(f.bytes < before);
  const v = h.view('15m', 'main', T0);
  assert.deepEqual(v.endpoints.map((e) => e.name), ['fast']);
  assert.deepEqual(v.keys.map((k) => k.key), ['…a1b2']);
  assert.deepEqual(v.clusters, ['main']);
});

test('past a cap the least recently used series makes room, so the number of series never grows', () => {
  const h = new TrafficHistory({ clusters: 2, endpoints: 3, keys: 4, endpointEvents: 8, keyEvents: 8 });
  for (let i = 0; i < 50; i++) h.recordRequest(request(T0 + i * S, { cluster: `c${i % 3}`, endpoint: `e${i}`, key: `…k${i}` }));
  const f = h.footprint();
  assert.ok(f.clusters <= 2 && f.endpoints <= 3 && f.keys <= 4, JSON.stringify(f));
  // The newest ones are the ones kept.
  const v = h.view('15m', 'c1', T0 + 50 * S);
  assert.ok(v.endpoints.some((e) => e.name === 'e49'));
});

test('a view of an unknown cluster is empty but well-formed; without a cluster the most recent one is shown', () => {
  const h = new TrafficHistory();
  h.recordRequest(request(T0, { cluster: 'a' }));
  h.recordRequest(request(T0 + S, { cluster: 'b' }));
  assert.equal(h.view('15m', undefined, T0 + S).cluster, 'b');
  const v = h.view('1h', 'nope', T0);
  assert.equal(v.cluster, 'nope');
  assert.equal(v.times.length, 360);
  assert.equal(v.total.requests.length, 360);
  assert.deepEqual(v.endpoints, []);
  const empty = new TrafficHistory().view('6h', undefined, T0);
  assert.equal(empty.cluster, null);
  assert.equal(empty.times.length, 360);
});

test('latest() carries only the buckets from `since` on; merged into the held view it equals a fresh full view', () => {
  const h = new TrafficHistory();
  const random = rng(7);
  const feed = (from: number, to: number) => {
    for (let t = from; t < to; t += 700) {
      h.recordRequest(request(t, { endpoint: random() < 0.5 ? 'fast' : 'slow', ok: random() < 0.9, ttfbMs: 50 + 500 * random(), usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: null, cacheWriteTokens: 1 } }));
      if (random() < 0.01) h.recordState({ at: t, cluster: 'main', endpoint: 'slow', state: random() < 0.5 ? 'degraded' : 'healthy' });
    }
  };
  feed(T0, T0 + 20 * MIN);
  let held = h.view('15m', 'main', T0 + 20 * MIN);
  for (const step of [3 * S, 10 * S, 45 * S, 5 * MIN]) {
    const now = held.times.at(-1)! + step;
    feed(held.times.at(-1)! + 10 * S - 1, now);
    const delta = h.latest('15m', held.times.at(-1)!, 'main', now);
    assert.equal(delta.kind, 'delta');
    assert.ok(delta.times.length <= Math.ceil(step / (10 * S)) + 1, `delta of ${delta.times.length} buckets after ${step} ms`);
    held = mergeHistory(held, delta);
    assert.deepEqual(held, h.view('15m', 'main', now));
  }
  // A `since` before the range gives a full view.
  assert.equal(h.latest('15m', T0, 'main', T0 + 60 * MIN).kind, 'full');
});

test('toJSON / fromJSON round trip keeps every view the same', () => {
  const h = new TrafficHistory();
  const random = rng(3);
  for (let i = 0; i < 3000; i++) {
    const at = T0 + Math.floor(random() * 5 * 60 * MIN);
    h.recordRequest(request(at, { endpoint: ['a', 'b', 'c'][i % 3], key: ['…k1', '…k2', null][i % 3], ok: random() < 0.95, ttfbMs: 10 + 3000 * random(), usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 500, cacheWriteTokens: 0 }, costUsd: i % 2 ? 0.001 : undefined }));
  }
  h.recordState({ at: T0 + MIN, cluster: 'main', endpoint: 'a', state: 'open', cause: 'UPSTREAM_5XX', until: T0 + 2 * MIN });
  h.recordProbe({ at: T0 + 2 * MIN, cluster: 'main', endpoint: 'a', ok: true });
  h.recordState({ at: T0 + 3 * MIN, cluster: 'main', endpoint: 'a', key: '…k1', state: 'invalid', cause: 'KEY_INVALID', until: T0 + 33 * MIN });
  const now = T0 + 5 * 60 * MIN;
  const text = JSON.stringify(h);
  const back = TrafficHistory.fromJSON(JSON.parse(text), now);
  for (const range of ['15m', '1h', '6h'] as const) assert.deepEqual(back.view(range, 'main', now), h.view(range, 'main', now), range);
  assert.ok(text.length < 400_000, `persisted size ${text.length}`);
  // Restored later, only what is still within 6 h remains.
  const later = TrafficHistory.fromJSON(JSON.parse(text), now + 5 * 60 * MIN);
  const six = later.view('6h', 'main', now + 5 * 60 * MIN);
  assert.ok(six.total.totals.requests > 0 && six.total.totals.requests < h.view('6h', 'main', now).total.totals.requests);
  assert.equal(TrafficHistory.fromJSON(JSON.parse(text), now + 12 * 60 * MIN).view('6h', 'main', now + 12 * 60 * MIN).total.totals.requests, 0);
});

test('fromJSON never throws on garbage or other versions, and keeps the valid parts', () => {
  const garbage: unknown[] = [
    undefined, null, 0, 'text', [], {}, { format: 'switchyard-history', version: 2, clusters: [] },
    { format: 'switchyard-history', version: 1, clusters: 'x' },
    { format: 'switchyard-history', version: 1, clusters: [null, 1, { name: 5 }, { name: 'c', total: { fine: [[1, 2, 3]], coarse: 'x' }, endpoints: [{ name: 'e', series: { fine: [['a']] }, states: { at: [1, 'x'], state: ['nope', 'open'] }, keys: [{ key: 3 }, null] }] }] },
    { format: 'switchyard-history', version: 1, clusters: [{ name: 'c', total: { fine: [[Number.MAX_SAFE_INTEGER, 1, 1, 1, 1, 1, 1, 1, 1]], coarse: [[-5, 1e99, -1, NaN, 1, 1, 1, 1, 1, 99, 1]] } }] },
  ];
  for (const g of garbage) {
    const h = TrafficHistory.fromJSON(g, T0);
    assert.doesNotThrow(() => h.view('6h', undefined, T0), JSON.stringify(g));
  }
  const good = new TrafficHistory();
  good.recordRequest(request(T0));
  const data = JSON.parse(JSON.stringify(good));
  data.clusters.push({ name: 'broken', total: 'nope', endpoints: [{ name: 'x', series: { fine: [[Math.floor(T0 / 10_000), 'NaN']] } }] });
  data.clusters[0].endpoints[0].series.fine.push([Math.floor(T0 / 10_000) - 1, 1, 0, 0, 0, 0, 0, 0, 0, 55, 1, -3, 9]);
  const back = TrafficHistory.fromJSON(data, T0 + S);
  assert.equal(back.view('15m', 'main', T0 + S).total.totals.requests, 1);
  assert.equal(back.view('15m', 'main', T0 + S).endpoints[0].totals.requests, 2, 'a bucket with bad bins keeps its good counters');
  assert.equal(back.view('15m', 'broken', T0 + S).endpoints[0].totals.requests, 0);
});

test('HistoryRecorder maps request records (with attempts and usage) and health transitions by id', () => {
  const h = new TrafficHistory();
  const snapshot = {
    clusters: [{ name: 'main', endpoints: [
      { id: 'main/fast', name: 'fast', keys: [{ id: 'main/fast#1', suffix: '…a1b2' }] },
      { id: 'main/down', name: 'down', keys: [] },
    ] }],
  } as unknown as RuntimeSnapshot;
  const rec = new HistoryRecorder(h, () => snapshot);
  const record = {
    id: 'x-1', time: new Date(T0).toISOString(), method: 'POST', path: '/v1/messages', cluster: 'main', stream: true,
    endpoint: 'fast', key: '…a1b2', status: 200, outcome: 'OK', ttfbMs: 120, durationMs: 900, bytesIn: 10, bytesOut: 20,
    attempts: [
      { endpoint: 'down', key: null, cause: 'UPSTREAM_CONNECT', status: null, ms: 3 },
      { endpoint: 'fast', key: '…a1b2', cause: 'STALE_SOCKET', status: null, ms: 1 },
      { endpoint: 'fast', key: '…a1b2', cause: 'OK', status: 200, ms: 800 },
    ],
    usage: { inputTokens: 7, outputTokens: 3, cacheReadTokens: null, cacheWriteTokens: null },
    costUsd: 0.002,
  } as unknown as RequestRecord;
  rec.request(record);
  rec.transition({ kind: 'endpoint', endpointId: 'main/down', from: 'healthy', to: 'open', ejectedUntil: T0 + 30 * S, lastError: { cause: 'UPSTREAM_CONNECT', message: 'refused', at: T0 } }, T0);
  rec.transition({ kind: 'key', keyId: 'main/fast#1', to: 'cooling', until: T0 + MIN }, T0);
  rec.probe('main/down', false, 'UPSTREAM_CONNECT', T0 + 31 * S);
  const v = h.view('15m', 'main', T0 + 40 * S);
  const down = v.endpoints.find((e) => e.name === 'down')!;
  const fast = v.endpoints.find((e) => e.name === 'fast')!;
  assert.deepEqual([down.totals.requests, down.totals.failures, fast.totals.requests, fast.totals.failures], [1, 1, 1, 0]);
  assert.deepEqual(down.states.state, ['open', 'probe']);
  assert.deepEqual(down.states.until, [T0 + 30 * S, null]);
  assert.deepEqual(v.keys[0].states.state, ['cooling']);
  assert.equal(v.keys[0].totals.costUsd, 0.002);
  assert.equal(v.total.totals.inputTokens, 7);
});

test('the view is compact: 15 min of a busy cluster with 3 endpoints and 6 keys is a few KB of JSON', () => {
  const h = new TrafficHistory();
  for (let t = T0; t < T0 + 15 * MIN; t += 100) {
    const e = Math.floor(t / 100) % 3;
    h.recordRequest(request(t, { endpoint: `e${e}`, key: `…k${Math.floor(t / 100) % 6}`, ttfbMs: 100 + (t % 900), usage: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 5000, cacheWriteTokens: 0 } }));
  }
  const size = JSON.stringify(h.view('15m', 'e0', T0 + 15 * MIN)).length;
  const full = JSON.stringify(h.view('15m', 'main', T0 + 15 * MIN)).length;
  const delta = JSON.stringify(h.latest('15m', T0 + 15 * MIN - 10 * S, 'main', T0 + 15 * MIN)).length;
  assert.ok(size < 5_000, `empty cluster view ${size} B`);
  assert.ok(full < 40_000, `full view ${full} B`);
  assert.ok(delta < 6_000, `delta ${delta} B`);
});

test('memory stays flat over 100,000 recorded requests (heap after forced GC, in a child with --expose-gc)', () => {
  const historyModule = path.join(__dirname, '..', '..', 'src', 'core', 'history.js');
  const script = `
    const { TrafficHistory } = require(${JSON.stringify(historyModule)});
    const h = new TrafficHistory();
    const usage = { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 8000, cacheWriteTokens: 0 };
    const clusters = ['main', 'backup'], endpoints = ['a', 'b', 'c', 'd'], keys = ['…k1', '…k2', '…k3', '…k4', '…k5'];
    const attempts = [{ endpoint: 'b', key: '…k2', ok: false }, { endpoint: 'a', key: '…k1', ok: true }];
    const reqs = [];
    for (let i = 0; i < 64; i++) reqs.push({ at: 0, cluster: clusters[i % 2], endpoint: endpoints[i % 4], key: keys[i % 5], ok: i % 7 !== 0, ttfbMs: 20 + i * 37, usage, costUsd: i % 3 ? 0.0004 : undefined, attempts: i % 5 === 0 ? attempts : undefined });
    let t = ${T0};
    const run = (n) => { for (let i = 0; i < n; i++) { const r = reqs[i & 63]; r.at = t; t += 250; h.recordRequest(r); if (i % 997 === 0) h.recordState({ at: t, cluster: r.cluster, endpoint: r.endpoint, state: i % 2 ? 'degraded' : 'healthy', cause: 'UPSTREAM_5XX' }); } };
    const heap = () => { global.gc(); global.gc(); return process.memoryUsage().heapUsed; };
    // Warm up: every series exists and every slot of both rings has been used once.
    run(100000);
    h.view('6h', 'main', t);
    const f0 = h.footprint(), h0 = heap();
    run(100000); // another ~7 hours of traffic
    const f1 = h.footprint(), h1 = heap();
    // Control: the same measurement sees 100,000 retained small objects.
    const kept = []; for (let i = 0; i < 100000; i++) kept.push({ at: i, ok: true });
    const h2 = heap();
    console.log(JSON.stringify({ f0, f1, h0, h1, h2, kept: kept.length }));
  `;
  const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 0, child.stderr);
  const m = JSON.parse(child.stdout.trim()) as Record<string, number> & { f0: { bytes: number; endpoints: number; keys: number }; f1: { bytes: number; endpoints: number; keys: number } };
  assert.deepEqual(m.f1, m.f0, `no series or ring grew (${child.stdout.trim()})`);
  assert.equal(m.f0.endpoints, 6);
  const growth = m.h1 - m.h0;
  const control = m.h2 - m.h1;
  assert.ok(control > 2_000_000, `the control is measurable (${control} B)`);
  assert.ok(growth < 256 * 1024, `heap grew by ${growth} B over 100,000 requests`);
});
