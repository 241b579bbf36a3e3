// The learned first-byte deadline (per endpoint × model, scaled by size, floor and limit) and the health store's rules for a circuit a stall opened.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HEALTH, DEFAULT_TIMEOUTS, TimeoutsConfig } from '../../src/core/config';
import { DEADLINE_MULTIPLIER, FirstByteDeadlines, MIN_SAMPLES, PRIOR_MS_PER_TOKEN } from '../../src/core/firstByteDeadline';
import { MemoryHealthStore } from '../../src/core/health';

const T: TimeoutsConfig = { ...DEFAULT_TIMEOUTS };
const learn = (d: FirstByteDeadlines, endpoint: string, samples: [ms: number, tokens: number][], model = 'm') => {
  for (const [ms, tokens] of samples) d.observe(endpoint, model, tokens, ms);
};

test('an endpoint × model with no history gets the initial deadline, grown for a large request, and a timeout there proves nothing', () => {
  const d = new FirstByteDeadlines();
  const small = d.forStream('c/a', [], 'm', 100, T);
  assert.equal(small.basis, 'initial');
  assert.equal(small.conclusive, false);
  assert.equal(small.ms, T.streamFirstByteInitialMs + Math.round(DEADLINE_MULTIPLIER * PRIOR_MS_PER_TOKEN * 100));
  const large = d.forStream('c/a', [], 'm', 150_000, T);
  assert.ok(large.ms >= T.streamFirstByteInitialMs + 50_000, `a 150k-token turn gets room for its prefill: ${large.ms}`);
  assert.ok(large.ms <= T.streamFirstByteMs);
});

test(`after ${MIN_SAMPLES} streams the deadline is a few times their high percentile, never below the floor`, () => {
  const d = new FirstByteDeadlines();
  learn(d, 'c/a', [[40, 500], [45, 500]]);
  assert.equal(d.forStream('c/a', [], 'm', 500, T).basis, 'initial', 'two streams are not yet a history');
  learn(d, 'c/a', [[50, 500]]);
  const fast = d.forStream('c/a', [], 'm', 500, T);
  assert.equal(fast.basis, 'learned');
  assert.equal(fast.conclusive, true);
  assert.equal(fast.ms, T.streamFirstByteFloorMs, 'a 50 ms endpoint gets the floor');

  const slow = new FirstByteDeadlines();
  learn(slow, 'c/s', [[3000, 500], [2900, 500], [3100, 500], [3050, 500]]);
  const d3 = slow.forStream('c/s', [], 'm', 500, T);
  assert.ok(d3.ms >= DEADLINE_MULTIPLIER * 3100, `a steady 3 s endpoint is given ${DEADLINE_MULTIPLIER}× its slowest: ${d3.ms}`);
  assert.ok(d3.ms < 20_000);
});

test('models are learned apart: quick side calls do not shorten a slow model on the same endpoint', () => {
  const d = new FirstByteDeadlines();
  learn(d, 'c/a', [[30, 200], [35, 200], [40, 200], [30, 200]], 'haiku');
  learn(d, 'c/a', [[5000, 200], [6000, 200], [5500, 200]], 'reasoner');
  assert.equal(d.forStream('c/a', [], 'haiku', 200, T).ms, T.streamFirstByteFloorMs);
  assert.ok(d.forStream('c/a', [], 'reasoner', 200, T).ms >= DEADLINE_MULTIPLIER * 6000);
});

test('a request larger than any seen gets the prior prefill allowance; a slope learned from spread sizes scales within them', () => {
  const d = new FirstByteDeadlines();
  learn(d, 'c/a', [[200, 2000], [210, 2000], [190, 2000], [205, 2000]]);
  const large = d.forStream('c/a', [], 'm', 150_000, T);
  // 148k tokens beyond the largest seen, at the prior rate, multiplied.
  assert.ok(large.ms >= DEADLINE_MULTIPLIER * (200 + PRIOR_MS_PER_TOKEN * 148_000), `${large.ms}`);
  assert.equal(large.basis, 'learned');

  const sloped = new FirstByteDeadlines();
  // 0.5 ms per token: a slow prefill (2k tokens/s), seen from 1k to 20k tokens.
  learn(sloped, 'c/a', [1000, 5000, 10_000, 15_000, 20_000, 2000, 8000].map((n) => [100 + 0.5 * n, n] as [number, number]));
  const at20k = sloped.forStream('c/a', [], 'm', 20_000, T).ms;
  assert.ok(at20k >= DEADLINE_MULTIPLIER * 10_100 * 0.95, `within the sizes seen the learned slope holds: ${at20k}`);
  assert.ok(sloped.forStream('c/a', [], 'm', 1000, T).ms < at20k / 5, 'and a small request there is judged by its own size');
});

test('the configured limit is the hard ceiling and the floor never exceeds it', () => {
  const d = new FirstByteDeadlines();
  learn(d, 'c/a', [[50, 10], [50, 10], [50, 10]]);
  const tight = { ...T, streamFirstByteMs: 1000 };
  const r = d.forStream('c/a', [], 'm', 10, tight);
  assert.equal(r.ms, 1000);
  assert.equal(r.basis, 'configured');
  assert.equal(r.conclusive, true);
  assert.equal(d.forStream('c/fresh', [], 'm', 10, tight).ms, 1000);
});

test("peers only raise a fresh endpoint's deadline: the same model known slow elsewhere", () => {
  const d = new FirstByteDeadlines();
  learn(d, 'c/fast', [[40, 10], [40, 10], [40, 10]]);
  assert.equal(d.forStream('c/new', ['c/fast', 'c/new'], 'm', 10, T).ms, d.forStream('c/new', [], 'm', 10, T).ms, 'a fast peer does not shorten it');
  learn(d, 'c/slow', [[20_000, 10], [22_000, 10], [21_000, 10]]);
  const raised = d.forStream('c/new', ['c/fast', 'c/slow', 'c/new'], 'm', 10, T);
  assert.ok(raised.ms >= DEADLINE_MULTIPLIER * 22_000 || raised.ms === T.streamFirstByteMs, `${raised.ms}`);
  assert.equal(raised.conclusive, raised.basis === 'configured');
});

test('what the stats show: the latest model at its usual size', () => {
  const d = new FirstByteDeadlines();
  assert.deepEqual(d.inForce('c/a', [], T), { ms: T.streamFirstByteInitialMs, basis: 'initial', model: null, samples: 0 });
  learn(d, 'c/a', [[50, 10], [50, 10], [50, 10]], 'claude-x');
  assert.deepEqual(d.inForce('c/a', [], T), { ms: T.streamFirstByteFloorMs, basis: 'learned', model: 'claude-x', samples: 3 });
  d.retain(new Set());
  assert.equal(d.inForce('c/a', [], T).basis, 'initial', 'a removed endpoint is forgotten');
});

// ---- the health store ----

function store() {
  let now = 1_000_000;
  const h = new MemoryHealthStore({ ...DEFAULT_HEALTH, ejectionBaseMs: 1000 }, () => now, () => 0.5);
  return { h, at: () => now, advance: (ms: number) => (now += ms) };
}

test('one stall at a conclusive deadline opens the circuit; at a deadline without history it only counts as a failure', () => {
  const { h } = store();
  h.end('a', undefined, 'UPSTREAM_TIMEOUT', 'no response', undefined, { conclusiveDeadline: false });
  assert.equal(h.endpoint('a').state, 'degraded');
  h.end('b', undefined, 'UPSTREAM_TIMEOUT', 'no response', undefined, { conclusiveDeadline: true });
  assert.equal(h.endpoint('b').state, 'open');
  assert.equal(h.endpoint('b').lastError?.cause, 'UPSTREAM_TIMEOUT');
  h.end('c', undefined, 'UPSTREAM_5XX', '503', undefined, { conclusiveDeadline: true });
  assert.equal(h.endpoint('c').state, 'degraded', 'only a timeout is a stall');
});

test('requests already waiting on a stalled endpoint do not extend its backoff', () => {
  const { h, advance } = store();
  h.end('a', undefined, 'UPSTREAM_TIMEOUT', 'no response', undefined, { conclusiveDeadline: true });
  const until = h.endpoint('a').ejectedUntil;
  advance(10);
  h.end('a', undefined, 'UPSTREAM_TIMEOUT', 'no response', undefined, { conclusiveDeadline: true });
  assert.equal(h.endpoint('a').ejectedUntil, until);
  assert.equal(h.endpoint('a').ejections, 1);
});

test('a circuit a stall opened closes only on a generated answer from an attempt begun after the stall', () => {
  const { h, at, advance } = store();
  const before = at();
  advance(5);
  h.end('a', undefined, 'UPSTREAM_TIMEOUT', 'no response', undefined, { conclusiveDeadline: true });
  advance(5);
  h.end('a', undefined, 'OK', 'ok', 20, { generated: false, startedAt: at() });
  assert.equal(h.endpoint('a').state, 'open', 'a model list or a count proves nothing about generation');
  h.end('a', undefined, 'RATE_LIMITED', '429', undefined, { generated: false, startedAt: at() });
  assert.equal(h.endpoint('a').state, 'open', "a key's refusal proves nothing either");
  h.end('a', undefined, 'OK', 'ok', 20, { generated: true, startedAt: before });
  assert.equal(h.endpoint('a').state, 'open', 'a stream that began before the stall proves nothing about now');
  h.end('a', undefined, 'OK', 'ok', 20, { generated: true, startedAt: at() });
  assert.notEqual(h.endpoint('a').state, 'open');

  // A circuit opened by a streak of 5xx closes on any answer, as before.
  for (let i = 0; i < DEFAULT_HEALTH.ejectAfter; i++) h.end('b', undefined, 'UPSTREAM_5XX', '503');
  assert.equal(h.endpoint('b').state, 'open');
  h.end('b', undefined, 'OK', 'ok', 20, { generated: false, startedAt: at() });
  assert.notEqual(h.endpoint('b').state, 'open');
});
