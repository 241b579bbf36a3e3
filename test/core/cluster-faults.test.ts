// Whole-cluster behaviour: every endpoint down (panic tier), circuit recovery, body cap, retry budget, config swaps mid-stream.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { anthropicStream, closeAllUpstreams, okJson, refusedPort, startUpstream, status } from './support/upstream';
import { delay, send, startProxy, stopAllProxies, STREAM_BODY, testConfig, waitFor } from './support/proxy';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

test('every endpoint down: bounded time, an error body naming every attempt, never "0 endpoints"', async () => {
  const dead1 = await refusedPort();
  const dead2 = await refusedPort();
  const failing = await startUpstream(status(503));
  const proxy = await startProxy([
    { name: 'dead1', baseUrl: `http://127.0.0.1:${dead1}`, keys: ['sk-test-dead-1111'] },
    { name: 'dead2', baseUrl: `http://127.0.0.1:${dead2}` },
    { name: 'failing', baseUrl: failing.url },
  ]);
  // Enough requests to eject all three (threshold 3 in tests): afterwards only the panic tier is left.
  for (let i = 0; i < 4; i++) await send(proxy.port);
  assert.ok(proxy.sy.stats().endpoints.every((e) => e.state === 'open'), JSON.stringify(proxy.sy.stats().endpoints.map((e) => e.state)));
  const started = Date.now();
  const r = await send(proxy.port);
  assert.ok(Date.now() - started < 1000, 'bounded time');
  assert.equal(r.status, 502);
  const body = r.json();
  assert.equal(body.type, 'error');
  assert.doesNotMatch(body.error.message, /\b0 endpoints\b/);
  assert.equal(body.switchyard.attempts.length, 3, 'the panic tier still tried them');
  const names = body.switchyard.attempts.map((a: { endpoint: string }) => a.endpoint).sort();
  assert.deepEqual(names, ['dead1', 'dead2', 'failing']);
  for (const a of body.switchyard.attempts) assert.ok(typeof a.ms === 'number' && a.cause && 'status' in a);
  assert.match(body.error.message, /dead1 …1111: UPSTREAM_CONNECT/);
  assert.match(body.error.message, /failing: 503 UPSTREAM_5XX/);
  assert.equal(r.headers['x-switchyard-attempts'], '3');
});

test('an open circuit is probed after its backoff and closes when the probe succeeds', async () => {
  const flaky = await startUpstream(status(503));
  const proxy = await startProxy([{ name: 'flaky', baseUrl: flaky.url }], { health: { ejectionBaseMs: 100 }, retry: { maxAttempts: 1 } });
  for (let i = 0; i < 3; i++) await send(proxy.port);
  assert.equal(proxy.sy.stats().endpoints[0].state, 'open');
  flaky.setHandler(okJson('flaky'));
  await delay(130);
  const r = await send(proxy.port);
  assert.equal(r.status, 200);
  const ep = proxy.sy.stats().endpoints[0];
  // Closed again; still degraded while its recent failures are remembered.
  assert.equal(ep.state, 'degraded');
  assert.equal(ep.consecutiveFailures, 0);
  assert.equal(ep.nextProbeAt, null);
});

test('a request body over the cap gets 413 with a clear message before any upstream call', async () => {
  const up = await startUpstream(okJson('up'));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], { limits: { maxBodyBytes: 1024 } });
  const r = await send(proxy.port, { body: { model: 'x', messages: [{ role: 'user', content: 'x'.repeat(4096) }] } });
  assert.equal(r.status, 413);
  assert.equal(r.json().error.type, 'request_too_large');
  assert.match(r.json().error.message, /limits\.maxBodyBytes \(1024 bytes\)/);
  assert.equal(up.requests.length, 0);
  const small = await send(proxy.port);
  assert.equal(small.status, 200);
});

test('a retry storm is held by the retry budget: retries stay near 20% of requests in flight (at least 8 at once)', async () => {
  // Slow 503s keep many requests in flight at once.
  const a = await startUpstream((req, res, rec) => setTimeout(() => status(503)(req, res, rec), 80));
  const b = await startUpstream((req, res, rec) => setTimeout(() => status(503)(req, res, rec), 80));
  const proxy = await startProxy(
    [
      { name: 'a', baseUrl: a.url },
      { name: 'b', baseUrl: b.url },
    ],
    { health: { ejectAfter: 1000, unhealthyAfter: 1000 } },
  );
  const n = 20;
  const results = await Promise.all(Array.from({ length: n }, () => send(proxy.port)));
  const upstreamCalls = a.requests.length + b.requests.length;
  const budgetRefusals = results.filter((r) => r.json().switchyard.code === 'BUDGET_EXHAUSTED').length;
  // Without a budget this would be n × 3 = 60 upstream calls.
  assert.ok(upstreamCalls < n * 2, `upstream calls ${upstreamCalls}`);
  assert.ok(budgetRefusals > 0, 'some retries were refused by the budget');
  assert.ok(results.every((r) => r.status === 502));
});

test('switching the active cluster mid-stream: the stream finishes on the old cluster, the next request goes to the new one', async () => {
  const oldUp = await startUpstream(anthropicStream(40));
  const newUp = await startUpstream(okJson('new'));
  const proxy = await startProxy([{ name: 'old', baseUrl: oldUp.url }]);
  const streaming = send(proxy.port, { body: STREAM_BODY });
  await waitFor(() => oldUp.requests.length === 1, 1000, 'the stream to start');
  const next = testConfig([{ name: 'old', baseUrl: oldUp.url }]);
  next.clusters.push({ name: 'other', protocol: 'anthropic', strategy: 'weighted-round-robin', endpoints: [{ name: 'new', baseUrl: newUp.url, weight: 1 }] });
  next.activeCluster = 'other';
  proxy.sy.applyConfig(next);
  const r = await send(proxy.port);
  assert.equal(r.json().served_by, 'new');
  assert.equal(r.headers['x-switchyard-endpoint'], 'new');
  const s = await streaming;
  assert.equal(s.aborted, false);
  assert.match(s.text, /event: message_stop/);
  assert.equal(proxy.sy.stats().activeCluster, 'other');
  assert.equal(proxy.sy.stats().clusters.find((c) => c.name === 'main')!.endpoints[0].failures, 0);
});

test('every proxied response carries x-switchyard-endpoint and x-switchyard-attempts', async () => {
  const up = await startUpstream(okJson('up'));
  const proxy = await startProxy([{ name: 'only', baseUrl: up.url }]);
  const ok = await send(proxy.port);
  assert.equal(ok.headers['x-switchyard-endpoint'], 'only');
  assert.equal(ok.headers['x-switchyard-attempts'], '1');
  assert.match(String(ok.headers['x-switchyard-request-id']), /^[0-9a-f]{4}-/);
  const get = await send(proxy.port, { method: 'GET', path: '/v1/models' });
  assert.equal(get.headers['x-switchyard-endpoint'], 'only');
  assert.equal(up.requests[1].method, 'GET');
});

test('health changes and key cooldowns are logged one line each, naming the cause', async () => {
  const dead = await refusedPort();
  const limited = await startUpstream(status(429, { 'retry-after': '20' }));
  const lines: string[] = [];
  const log = (m: string) => lines.push(m);
  const proxy = await startProxy(
    [
      { name: 'dead', baseUrl: `http://127.0.0.1:${dead}`, priority: 0 },
      { name: 'limited', baseUrl: limited.url, keys: ['sk-test-limited-7777'], priority: 1 },
    ],
    { strategy: 'priority', retry: { maxAttempts: 1 } },
    { logger: { debug: log, info: log, warn: log, error: log } },
  );
  for (let i = 0; i < 3; i++) await send(proxy.port);
  await delay(5);
  const health = lines.filter((l) => l.startsWith('[health]'));
  assert.ok(health.some((l) => /^\[health\] main\/dead: healthy → degraded \(UPSTREAM_CONNECT/.test(l)), health.join('\n'));
  assert.ok(health.some((l) => /^\[health\] main\/dead: unhealthy → open for \d+ s \(UPSTREAM_CONNECT/.test(l)), health.join('\n'));
  assert.ok(health.some((l) => /^\[health\] main\/limited key …7777: cooling for 20 s \(RATE_LIMITED/.test(l)), health.join('\n'));
  assert.ok(!lines.join('\n').includes('sk-test-limited-7777'));
});

test('stopping again while a long drain is under way shortens it: the stream is cut visibly, the stop resolves', async () => {
  const up = await startUpstream(anthropicStream(300));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
  let bytes = 0;
  const streaming = send(proxy.port, { body: STREAM_BODY, onChunk: (c) => (bytes += c.length) });
  await waitFor(() => bytes > 0, 2000, 'the stream to reach the client');
  const longDrain = proxy.sy.stop(60_000);
  await delay(50);
  const started = Date.now();
  await proxy.sy.stop(100);
  await longDrain;
  assert.ok(Date.now() - started < 1500, `stop took ${Date.now() - started} ms`);
  const s = await streaming;
  assert.equal(s.aborted, true, 'cut, not ended cleanly');
});

test('a retried request gives its retry slot back once it is answered, so a long stream does not block failover for others', async () => {
  const x = await startUpstream(status(503));
  const y = await startUpstream(anthropicStream(100));
  let zFailed = false;
  const z = await startUpstream((req, res, rec) => {
    if (zFailed) return anthropicStream()(req, res, rec);
    zFailed = true;
    status(503)(req, res, rec);
  });
  const proxy = await startProxy(
    [
      { name: 'x', baseUrl: x.url },
      { name: 'y', baseUrl: y.url },
      { name: 'z', baseUrl: z.url },
    ],
    { retry: { minRetryConcurrency: 1, budgetRatio: 0 } },
  );
  // x fails, y answers with a stream of about a second: this request retried once and is now only streaming.
  const long = send(proxy.port, { body: STREAM_BODY });
  await waitFor(() => y.requests.length === 1, 1000, 'the retry to reach y');
  await delay(250); // its first content (100 ms in) has gone out: the retry was answered
  // z fails this one's first attempt: it needs the single retry slot while the long stream still runs.
  const second = await send(proxy.port, { body: STREAM_BODY });
  assert.equal(second.status, 200, second.text.slice(0, 300));
  assert.equal(second.headers['x-switchyard-attempts'], '2');
  assert.equal((await long).status, 200);
});
