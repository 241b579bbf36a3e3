// Stall-aware failover through real sockets: a hung endpoint costs a learned deadline once, then its circuit is open; slow-but-alive ones and long generations are left alone.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HEALTH, DEFAULT_TIMEOUTS } from '../../src/core/config';
import { closeAllUpstreams, stall, startUpstream } from './support/upstream';
import { ClientResponse, delay, send, startProxy, stopAllProxies, STREAM_BODY, waitFor } from './support/proxy';
import { answerAfter, bodyOfTokens, growingWithSize, isLivenessProbe, wantsStream } from './support/timing';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

/** The product's own defaults, not the suite's short test deadlines. */
const DEFAULTS = { timeouts: { ...DEFAULT_TIMEOUTS }, health: { ...DEFAULT_HEALTH } };
const JSON_BODY = { ...STREAM_BODY, stream: false };

let turns = 0;
/** The body as a new conversation: affinity would keep one repeated prompt on one endpoint, and these tests are about spreading. */
function fresh<T extends { messages: unknown[] }>(body: T): T {
  return { ...body, messages: [{ role: 'user', content: `turn ${++turns}` }] };
}

async function timed(p: Promise<ClientResponse>): Promise<ClientResponse & { ms: number }> {
  const started = Date.now();
  const r = await p;
  return Object.assign(r, { ms: Date.now() - started });
}

const complete = (r: ClientResponse) => r.status === 200 && !r.aborted && (r.text.includes('event: message_stop') || r.text.includes('"type":"message"'));

test('default timeouts: streams that reach a newly hung endpoint fail over within 5 s, then every new request goes elsewhere at once', async () => {
  const a = await startUpstream(answerAfter(() => 40));
  const b = await startUpstream(answerAfter(() => 40));
  const proxy = await startProxy([{ name: 'a', baseUrl: a.url }, { name: 'b', baseUrl: b.url }], DEFAULTS);
  for (let i = 0; i < 30; i += 2) await Promise.all([send(proxy.port, { body: fresh(STREAM_BODY) }), send(proxy.port, { body: fresh(STREAM_BODY) })]);
  assert.equal(proxy.sy.stats().endpoints.find((e) => e.name === 'a')!.firstByteDeadlineBasis, 'learned');

  a.setHandler(stall());
  const seenByA = a.requests.length;
  const first = await Promise.all([0, 1, 2, 3].map(() => timed(send(proxy.port, { body: fresh(STREAM_BODY) }))));
  assert.equal(a.requests.length - seenByA, 2, 'round robin sent two of the four to the hung endpoint');
  for (const r of first) {
    assert.ok(complete(r), `${r.status} ${r.text.slice(0, 200)}`);
    assert.equal(r.headers['x-switchyard-endpoint'], 'b');
    assert.ok(r.ms < 5000, `failed over in ${r.ms} ms`);
  }
  assert.equal(first.filter((r) => r.headers['x-switchyard-attempts'] === '2').length, 2, 'both that reached it waited out their own deadline and moved on');

  const ea = proxy.sy.stats().endpoints.find((e) => e.name === 'a')!;
  assert.equal(ea.state, 'open');
  assert.equal(ea.lastError?.cause, 'UPSTREAM_TIMEOUT');
  assert.match(ea.lastError!.message, /deadline \d+ ms: learned/);

  const later = await Promise.all([...[0, 1, 2, 3].map(() => timed(send(proxy.port, { body: fresh(STREAM_BODY) }))), ...[0, 1, 2, 3].map(() => timed(send(proxy.port, { body: fresh(JSON_BODY) })))]);
  for (const r of later) {
    assert.ok(complete(r), `${r.status} ${r.text.slice(0, 200)}`);
    assert.equal(r.headers['x-switchyard-endpoint'], 'b');
    assert.equal(r.headers['x-switchyard-attempts'], '1');
    assert.ok(r.ms < 1000, `went elsewhere at once: ${r.ms} ms`);
  }
  assert.equal(a.requests.length - seenByA, 2, 'no new request reached the hung endpoint');
});

test('a slow-but-alive endpoint (steady time to first byte, well above its peer) is not treated as hung', async () => {
  const slow = await startUpstream(answerAfter(() => 600));
  const fast = await startUpstream(answerAfter(() => 10));
  // The suite's scale: floor 150 ms, 1 s for no history. Weights 5:1 let the fast peer learn its own short deadline first.
  const proxy = await startProxy([{ name: 'slow', baseUrl: slow.url, weight: 1 }, { name: 'fast', baseUrl: fast.url, weight: 5 }], {
    timeouts: { streamFirstByteMs: 10_000, streamFirstByteFloorMs: 150, streamFirstByteInitialMs: 1000 },
  });
  for (let i = 0; i < 24; i++) {
    const r = await send(proxy.port, { body: fresh(STREAM_BODY) });
    assert.ok(complete(r), `${r.status} ${r.text.slice(0, 200)}`);
    assert.equal(r.headers['x-switchyard-attempts'], '1', `request ${i}: served where it was sent`);
  }
  const s = proxy.sy.stats().endpoints.find((e) => e.name === 'slow')!;
  assert.equal(s.requests, 4);
  assert.equal(s.failures, 0);
  assert.equal(s.state, 'healthy');
  assert.equal(s.firstByteDeadlineBasis, 'learned');
  assert.ok(s.firstByteDeadlineMs! >= 2000, `its own deadline follows its own pace: ${s.firstByteDeadlineMs}`);
  assert.equal(proxy.sy.stats().endpoints.find((e) => e.name === 'fast')!.firstByteDeadlineMs, 150);
});

test('an endpoint whose time to first byte grows with the request is not cut when a large request follows small ones', async () => {
  // 20 ms + 0.15 ms a token (a slow prefill): small calls answer in ~70 ms, a 15k-token turn in ~2.3 s.
  const up = await startUpstream(answerAfter(growingWithSize(20, 0.15)));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], { timeouts: { streamFirstByteMs: 30_000, streamFirstByteFloorMs: 150, streamFirstByteInitialMs: 1000 } });
  for (let i = 0; i < 6; i++) assert.ok(complete(await send(proxy.port, { body: bodyOfTokens(300) })));
  const learned = proxy.sy.stats().endpoints[0].firstByteDeadlineMs!;
  assert.ok(learned < 1000, `small calls alone teach a short deadline: ${learned} ms`);
  const big = await timed(send(proxy.port, { body: bodyOfTokens(15_000) }));
  assert.ok(complete(big), `${big.status} ${big.text.slice(0, 300)}`);
  assert.equal(big.headers['x-switchyard-attempts'], '1');
  assert.ok(big.ms >= 2000, `it really took its time: ${big.ms} ms`);
  assert.equal(proxy.sy.stats().endpoints[0].failures, 0);
});

test('a stream cut at a deadline with no history is retried with more time, and that endpoint is not ejected for it', async () => {
  // A slow model on a fresh proxy: 1.5 s to its first byte everywhere, 1 s allowed with no history.
  const a = await startUpstream(answerAfter(() => 1500));
  const b = await startUpstream(answerAfter(() => 1500));
  const proxy = await startProxy([{ name: 'a', baseUrl: a.url }, { name: 'b', baseUrl: b.url }], {
    timeouts: { streamFirstByteMs: 30_000, streamFirstByteFloorMs: 150, streamFirstByteInitialMs: 1000 },
  });
  const r = await send(proxy.port, { body: fresh(STREAM_BODY) });
  assert.ok(complete(r), `${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.headers['x-switchyard-attempts'], '2');
  const states = proxy.sy.stats().endpoints.map((e) => e.state);
  assert.ok(!states.includes('open'), `a timeout without history is no proof of a stall: ${states}`);
});

test('a long non-streaming generation on a healthy endpoint is not cut: a liveness probe finds it alive', async () => {
  const up = await startUpstream(answerAfter(() => 10, { json: (rec) => (isLivenessProbe(rec) ? 10 : 1500) }));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {
    timeouts: { firstByteMs: 20_000, streamFirstByteMs: 5000, streamFirstByteFloorMs: 150, streamFirstByteInitialMs: 300 },
  });
  for (let i = 0; i < 3; i++) await send(proxy.port, { body: fresh(STREAM_BODY) });
  // Room for 4096 output tokens: the output cap bounds nothing here, so only the probe can judge.
  const r = await timed(send(proxy.port, { body: fresh({ ...JSON_BODY, max_tokens: 4096 }) }));
  assert.ok(complete(r), `${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.headers['x-switchyard-attempts'], '1');
  assert.ok(r.ms >= 1400, `${r.ms}`);
  const probes = up.requests.filter(isLivenessProbe);
  assert.ok(probes.length >= 2, `it was probed while it waited (${probes.length} probes), and found alive each time`);
  assert.equal(proxy.sy.stats().endpoints[0].failures, 0);
});

test('a non-streaming request on a newly hung endpoint fails over once a liveness probe gets no answer either', async () => {
  const a = await startUpstream(answerAfter(() => 10));
  const b = await startUpstream(answerAfter(() => 10));
  const proxy = await startProxy([{ name: 'a', baseUrl: a.url }, { name: 'b', baseUrl: b.url }], {
    timeouts: { firstByteMs: 60_000, streamFirstByteMs: 5000, streamFirstByteFloorMs: 200, streamFirstByteInitialMs: 1000 },
  });
  for (let i = 0; i < 8; i++) await send(proxy.port, { body: fresh(STREAM_BODY) });
  a.setHandler(stall());
  const rs = await Promise.all([0, 1].map(() => timed(send(proxy.port, { body: fresh(JSON_BODY) }))));
  for (const r of rs) {
    assert.ok(complete(r), `${r.status} ${r.text.slice(0, 300)}`);
    assert.equal(r.headers['x-switchyard-endpoint'], 'b');
    assert.ok(r.ms < 3000, `failed over in ${r.ms} ms, not after the 60 s limit`);
  }
  assert.ok(a.requests.some(isLivenessProbe), 'the hung endpoint was probed');
  const ea = proxy.sy.stats().endpoints.find((e) => e.name === 'a')!;
  assert.equal(ea.state, 'open');
  assert.equal(ea.lastError?.cause, 'UPSTREAM_TIMEOUT');
  assert.match(ea.lastError!.message, /probe/);
  const seen = a.requests.length;
  const next = await timed(send(proxy.port, { body: fresh(JSON_BODY) }));
  assert.equal(next.headers['x-switchyard-endpoint'], 'b');
  assert.ok(next.ms < 1000);
  assert.equal(a.requests.length, seen);
});

test('a non-streaming request lost on a live endpoint is given up after its output cap at the slowest rate, not the hard limit', async () => {
  let lose = false;
  const a = await startUpstream((req, res, rec) => (lose && !wantsStream(rec) ? undefined : answerAfter(() => 10)(req, res, rec)));
  const b = await startUpstream(answerAfter(() => 10));
  const proxy = await startProxy([{ name: 'a', baseUrl: a.url }, { name: 'b', baseUrl: b.url }], {
    timeouts: { firstByteMs: 60_000, streamFirstByteMs: 5000, streamFirstByteFloorMs: 200, streamFirstByteInitialMs: 1000 },
  });
  for (let i = 0; i < 8; i++) await send(proxy.port, { body: fresh(STREAM_BODY) });
  lose = true;
  // max_tokens 2: at 5 tokens/s the whole answer is due 400 ms after a stream's first byte would be.
  const rs = await Promise.all([0, 1].map(() => timed(send(proxy.port, { body: fresh({ ...JSON_BODY, max_tokens: 2 }) }))));
  const moved = rs.filter((r) => r.headers['x-switchyard-attempts'] === '2');
  assert.equal(moved.length, 1, 'the one sent to a waited out its bound and moved on');
  for (const r of rs) {
    assert.ok(complete(r), `${r.status} ${r.text.slice(0, 300)}`);
    assert.ok(r.ms < 3000, `${r.ms} ms, not the 60 s limit`);
  }
  assert.ok(a.requests.some(isLivenessProbe), 'a probe found the endpoint alive, which alone does not end the wait');
  const ea = proxy.sy.stats().endpoints.find((e) => e.name === 'a')!;
  assert.equal(ea.lastError?.cause, 'UPSTREAM_TIMEOUT');
  assert.match(ea.lastError!.message, /2 output tokens at 5\/s/);
});

test('a model list answered by a stalled endpoint does not close its circuit; a generated answer does', async () => {
  let hung = true;
  const up = await startUpstream((req, res, rec) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: 'claude-test', type: 'model' }] }));
      return;
    }
    if (!hung) return answerAfter(() => 10)(req, res, rec);
  });
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {
    timeouts: { streamFirstByteMs: 300 },
    health: { ejectionBaseMs: 100 },
    retry: { maxAttempts: 1 },
  });
  const timedOut = await send(proxy.port, { body: fresh(STREAM_BODY) });
  assert.equal(timedOut.status, 504);
  assert.equal(proxy.sy.stats().endpoints[0].state, 'open');
  await delay(150);
  const models = await send(proxy.port, { method: 'GET', path: '/v1/models' });
  assert.equal(models.status, 200, 'the only endpoint still serves what it can');
  assert.equal(proxy.sy.stats().endpoints[0].state, 'open', 'listing models proves nothing about generation');
  hung = false;
  const r = await send(proxy.port, { body: fresh(STREAM_BODY) });
  assert.ok(complete(r), `${r.status} ${r.text.slice(0, 200)}`);
  assert.notEqual(proxy.sy.stats().endpoints[0].state, 'open');
  assert.ok(up.requests.filter(wantsStream).length >= 2);
});

test('hedging (off by default): a stream slow to start also goes to another endpoint; the first answer wins and the other is cancelled unharmed', async () => {
  const hung = await startUpstream(stall());
  const fast = await startUpstream(answerAfter(() => 10));
  const endpoints = [{ name: 'hung', baseUrl: hung.url, weight: 10 }, { name: 'fast', baseUrl: fast.url, weight: 1 }];
  const timeouts = { streamFirstByteMs: 5000, streamFirstByteInitialMs: 1500 };
  const hedging = await startProxy(endpoints, { timeouts, retry: { hedgeAfterMs: 100 } });
  const records: import('../../src/core/log').RequestRecord[] = [];
  hedging.sy.onRequest((r) => records.push(r));
  const r = await timed(send(hedging.port, { body: fresh(STREAM_BODY) }));
  assert.ok(complete(r), `${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(r.headers['x-switchyard-endpoint'], 'fast');
  assert.ok(r.ms < 1000, `answered by the hedge in ${r.ms} ms, not after the 1.5 s deadline`);
  assert.deepEqual(records[0].attempts.map((a) => [a.endpoint, a.cause]), [['fast', 'OK'], ['hung', 'HEDGE_CANCELLED']]);
  const h = hedging.sy.stats().endpoints.find((e) => e.name === 'hung')!;
  assert.equal(h.failures, 0, 'a cancelled hedge is not held against its endpoint');
  assert.equal(h.inFlight, 0);
  await waitFor(() => hung.openSockets() === 0 || hung.requests.length === 0, 2000, 'the cancelled attempt to be closed upstream');

  const plain = await startProxy(endpoints, { timeouts });
  const before = fast.requests.length;
  const slow = await timed(send(plain.port, { body: fresh(STREAM_BODY) }));
  assert.ok(complete(slow));
  assert.ok(slow.ms >= 1400, `without hedging it waits out the deadline: ${slow.ms} ms`);
  assert.equal(fast.requests.length - before, 1);
});
