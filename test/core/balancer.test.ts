// Balancer and health model: tiers in order, weights honoured, panic tier last, soonest-to-recover first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Balancer } from '../../src/core/balancer';
import { validateConfig, DEFAULT_HEALTH } from '../../src/core/config';
import { MemoryHealthStore } from '../../src/core/health';
import { buildSnapshot } from '../../src/core/runtime';
import { retryAfterMs } from '../../src/core/retryAfter';

function cluster(endpoints: { name: string; weight?: number; priority?: number; keys?: string[] }[], strategy = 'weighted-round-robin') {
  const config = validateConfig({ clusters: [{ name: 'c', protocol: 'anthropic', strategy, endpoints: endpoints.map((e) => ({ baseUrl: `http://127.0.0.1:1/${e.name}`, ...e })) }] });
  return buildSnapshot(config, 1, undefined, {}).active;
}

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const none = new Set<string>();

test('weighted round robin follows the weights', () => {
  const health = new MemoryHealthStore(DEFAULT_HEALTH);
  const b = new Balancer(health);
  const c = cluster([{ name: 'a', weight: 3 }, { name: 'b', weight: 1 }]);
  const counts: Record<string, number> = { a: 0, b: 0 };
  for (let i = 0; i < 400; i++) {
    const p = b.pick({ cluster: c, avoidEndpoints: none, usedKeys: none });
    assert.equal(p.kind, 'target');
    if (p.kind === 'target') counts[p.endpoint.name]++;
  }
  assert.deepEqual(counts, { a: 300, b: 100 });
});

test('tiers: healthy before degraded before unhealthy before open; open ones soonest-to-recover first', () => {
  const t = clock();
  const health = new MemoryHealthStore({ ...DEFAULT_HEALTH, unhealthyAfter: 2, ejectAfter: 3, ejectionBaseMs: 10_000 }, t.now, () => 0.5);
  const b = new Balancer(health);
  const c = cluster([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  const fail = (id: string, n: number) => {
    for (let i = 0; i < n; i++) {
      health.begin(id);
      health.end(id, undefined, 'UPSTREAM_5XX', 'boom');
    }
  };
  const pick = () => {
    const p = b.pick({ cluster: c, avoidEndpoints: none, usedKeys: none });
    return p.kind === 'target' ? p.endpoint.name : p.kind;
  };
  fail('c/a', 1); // degraded
  fail('c/b', 2); // unhealthy
  assert.equal(pick(), 'c');
  fail('c/c', 3); // open
  assert.equal(health.endpoint('c/c').state, 'open');
  assert.equal(pick(), 'a');
  t.advance(1);
  fail('c/a', 2); // a open too, ejected later than c
  assert.equal(pick(), 'b', 'unhealthy beats open');
  fail('c/b', 1); // all open now
  assert.equal(pick(), 'c', 'panic tier: soonest to recover first');
});

test('an open circuit whose backoff ran out takes one probe; a failed probe re-opens with a longer backoff', () => {
  const t = clock();
  const health = new MemoryHealthStore({ ...DEFAULT_HEALTH, ejectAfter: 1, unhealthyAfter: 1, ejectionBaseMs: 1000 }, t.now, () => 0.5);
  health.begin('c/a');
  health.end('c/a', undefined, 'UPSTREAM_CONNECT', 'refused');
  const first = health.endpoint('c/a').ejectedUntil! - t.now();
  assert.equal(first, 1000);
  t.advance(1001);
  assert.equal(health.endpoint('c/a').probeReady, true);
  const probe = health.begin('c/a');
  assert.equal(probe, true);
  assert.equal(health.endpoint('c/a').probeReady, false, 'one probe at a time');
  health.end('c/a', undefined, 'UPSTREAM_CONNECT', 'refused', undefined, { probe });
  assert.equal(health.endpoint('c/a').ejectedUntil! - t.now(), 2000, 'backoff grows with each ejection');
});

test('a due circuit gets the next first attempt as its probe even while a healthy endpoint serves; retries and later picks do not', () => {
  const t = clock();
  const health = new MemoryHealthStore({ ...DEFAULT_HEALTH, ejectAfter: 1, unhealthyAfter: 1, ejectionBaseMs: 1000 }, t.now, () => 0.5);
  const b = new Balancer(health);
  const c = cluster([{ name: 'a' }, { name: 'b' }]);
  const pick = (avoid: ReadonlySet<string> = none) => {
    const p = b.pick({ cluster: c, avoidEndpoints: avoid, usedKeys: none });
    return p.kind === 'target' ? p.endpoint.name : p.kind;
  };
  health.begin('c/a');
  health.end('c/a', undefined, 'UPSTREAM_CONNECT', 'refused');
  assert.equal(health.endpoint('c/a').state, 'open');
  assert.deepEqual([pick(), pick(), pick()], ['b', 'b', 'b'], 'not before its backoff ran out');
  t.advance(1001);
  assert.equal(pick(new Set(['c/x'])), 'b', 'a retry is not used as a probe');
  assert.equal(pick(), 'a', 'the next first attempt probes it');
  const probe = health.begin('c/a');
  assert.equal(probe, true);
  assert.deepEqual([pick(), pick()], ['b', 'b'], 'one probe at a time');
  health.end('c/a', undefined, 'OK', 'ok', 20, { probe });
  // The circuit closes; the recent failure still makes it degraded until it ages out.
  assert.equal(health.endpoint('c/a').state, 'degraded');
  assert.equal(health.endpoint('c/a').ejectedUntil, undefined);
});

test('a failure streak is forgotten after recoverMs', () => {
  const t = clock();
  const health = new MemoryHealthStore({ ...DEFAULT_HEALTH, unhealthyAfter: 2, ejectAfter: 5, recoverMs: 1000 }, t.now);
  for (let i = 0; i < 2; i++) {
    health.begin('c/a');
    health.end('c/a', undefined, 'UPSTREAM_5XX', 'x');
  }
  assert.equal(health.endpoint('c/a').state, 'unhealthy');
  t.advance(1001);
  assert.equal(health.endpoint('c/a').state, 'healthy');
});

test('keys: cooling and invalid keys are skipped; when all cool, the earliest reset is reported', () => {
  const t = clock();
  const health = new MemoryHealthStore(DEFAULT_HEALTH, t.now);
  const b = new Balancer(health);
  const c = cluster([{ name: 'a', keys: ['sk-one-0001', 'sk-two-0002'] }]);
  const [k1, k2] = c.endpoints[0].keys;
  health.coolKey(k1.id, t.now() + 5000, 'RATE_LIMITED', '429');
  for (let i = 0; i < 3; i++) {
    const p = b.pick({ cluster: c, avoidEndpoints: none, usedKeys: none });
    assert.ok(p.kind === 'target' && p.key?.id === k2.id);
  }
  health.coolKey(k2.id, t.now() + 9000, 'RATE_LIMITED', '429');
  const p = b.pick({ cluster: c, avoidEndpoints: none, usedKeys: none });
  assert.deepEqual(p, { kind: 'no-key', cooling: true, earliestUntil: t.now() + 5000 });
  health.invalidateKey(k1.id, '401');
  t.advance(9001);
  const after = b.pick({ cluster: c, avoidEndpoints: none, usedKeys: none });
  assert.ok(after.kind === 'target' && after.key?.id === k2.id);
});

test('retry-after parsing covers the headers providers send', () => {
  const now = Date.parse('2026-11-23T00:00:00Z');
  assert.equal(retryAfterMs({ 'retry-after-ms': '1500' }, now), 1500);
  assert.equal(retryAfterMs({ 'retry-after': '30' }, now), 30_000);
  assert.equal(retryAfterMs({ 'retry-after': 'Mon, 23 Nov 2026 00:00:10 GMT' }, now), 10_000);
  assert.equal(retryAfterMs({ 'anthropic-ratelimit-requests-reset': '2026-11-23T00:01:00Z' }, now), 60_000);
  assert.equal(retryAfterMs({ 'x-ratelimit-reset-requests': '6m0s' }, now), 360_000);
  assert.equal(retryAfterMs({ 'x-ratelimit-reset-tokens': '250ms' }, now), 250);
  assert.equal(retryAfterMs({}, now), undefined);
});

test('the latency strategy prefers the fastest endpoint (within 20% or 1 ms, spread by weight), explores unmeasured ones, and follows a change', () => {
  const health = new MemoryHealthStore(DEFAULT_HEALTH);
  const b = new Balancer(health);
  const c = cluster([{ name: 'slow' }, { name: 'fast' }, { name: 'fast-too' }, { name: 'new' }], 'latency');
  const answer = (id: string, ttfbMs: number) => {
    health.begin(id);
    health.end(id, undefined, 'OK', 'ok', ttfbMs);
  };
  const counts = (n: number) => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const p = b.pick({ cluster: c, avoidEndpoints: none, usedKeys: none });
      assert.equal(p.kind, 'target');
      const name = p.kind === 'target' ? p.endpoint.name : '';
      seen[name] = (seen[name] ?? 0) + 1;
    }
    return seen;
  };
  answer('c/slow', 900);
  answer('c/fast', 100);
  answer('c/fast-too', 110);
  // Not measured yet: counts as fastest, so it gets tried.
  assert.deepEqual(counts(3), { new: 3 });
  answer('c/new', 2000);
  assert.deepEqual(counts(100), { fast: 50, 'fast-too': 50 }, 'the two within 20% of the best share; the slow ones get nothing');
  // fast slows down (the moving average follows), slow becomes the fastest.
  for (let i = 0; i < 10; i++) answer('c/fast', 3000);
  for (let i = 0; i < 10; i++) answer('c/slow', 50);
  assert.deepEqual(counts(10), { slow: 10 });
});
