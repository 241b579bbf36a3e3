// Upstream statuses: 5xx/529 fail over to another endpoint, 429 cools one key, 401/403 invalidate a key, 4xx pass through.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeAllUpstreams, okJson, startUpstream, status } from './support/upstream';
import { send, startProxy, stopAllProxies } from './support/proxy';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

for (const code of [500, 502, 503, 504, 529]) {
  test(`${code} before the body fails over to a different endpoint and counts toward ejection`, async () => {
    const bad = await startUpstream(status(code));
    const good = await startUpstream(okJson('good'));
    // Weight makes the failing endpoint the first pick.
    const proxy = await startProxy([
      { name: 'bad', baseUrl: bad.url, keys: ['sk-test-bad-0001'], weight: 100 },
      { name: 'good', baseUrl: good.url, keys: ['sk-test-good-0002'], weight: 1 },
    ]);
    const r = await send(proxy.port);
    assert.equal(r.status, 200);
    assert.equal(r.json().served_by, 'good');
    assert.equal(r.headers['x-switchyard-endpoint'], 'good');
    assert.equal(r.headers['x-switchyard-attempts'], '2');
    assert.equal(bad.requests.length, 1, 'not retried on the same endpoint');
    const ep = proxy.sy.stats().endpoints.find((e) => e.name === 'bad')!;
    assert.equal(ep.failures, 1);
    assert.equal(ep.lastError?.cause, code === 529 ? 'OVERLOADED' : 'UPSTREAM_5XX');
    assert.notEqual(ep.state, 'healthy');
  });
}

test('429 with retry-after cools only that key and moves to the next key; the endpoint stays healthy', async () => {
  const up = await startUpstream((req, res, rec) => {
    if (req.headers['x-api-key'] === 'sk-test-limited-0001') status(429, { 'retry-after': '30' })(req, res, rec);
    else okJson('up')(req, res, rec);
  });
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-limited-0001', 'sk-test-fine-0002'] }]);
  for (let i = 0; i < 4; i++) {
    const r = await send(proxy.port);
    assert.equal(r.status, 200, r.text);
  }
  const ep = proxy.sy.stats().endpoints[0];
  assert.equal(ep.state, 'healthy', 'a 429 is not ill health');
  assert.equal(ep.failures, 0);
  const limited = ep.keys.find((t) => t.suffix === '…0001')!;
  const fine = ep.keys.find((t) => t.suffix === '…0002')!;
  assert.equal(limited.state, 'cooling');
  assert.ok(limited.cooldownUntil! - Date.now() > 25_000 && limited.cooldownUntil! - Date.now() <= 30_000);
  assert.equal(fine.state, 'ok');
  assert.equal(up.requests.filter((r) => r.headers['x-api-key'] === 'sk-test-limited-0001').length, 1, 'a cooling key is not used again');
});

test('when every key is cooling the client gets 429 with the smallest retry-after', async () => {
  const up = await startUpstream((req, res, rec) => {
    const ms = req.headers['x-api-key'] === 'sk-test-short-0001' ? '4000' : '90000';
    status(429, { 'retry-after-ms': ms })(req, res, rec);
  });
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-short-0001', 'sk-test-long-0002'] }]);
  const r = await send(proxy.port);
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '4');
  assert.equal(r.json().error.type, 'rate_limit_error');
  assert.match(r.json().error.message, /rate limited/);
  assert.equal(up.requests.length, 2);
  // The next request does not even reach the upstream.
  const again = await send(proxy.port);
  assert.equal(again.status, 429);
  assert.equal(up.requests.length, 2);
});

test('401 marks the key invalid and the next key serves; with no valid key left the 401 names the keys tried', async () => {
  const up = await startUpstream((req, res, rec) => {
    if (req.headers['x-api-key'] === 'sk-test-good-0003') okJson('up')(req, res, rec);
    else status(401, {}, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } })(req, res, rec);
  });
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-revoked-0001', 'sk-test-good-0003'] }]);
  const r = await send(proxy.port);
  assert.equal(r.status, 200);
  const tokens = proxy.sy.stats().endpoints[0].keys;
  const revoked = tokens.find((t) => t.suffix === '…0001')!;
  assert.equal(revoked.state, 'invalid');
  assert.equal(tokens.find((t) => t.suffix === '…0003')!.state, 'ok');
  assert.equal(proxy.sy.stats().endpoints[0].failures, 0, 'a bad key is not an endpoint failure');

  const allBad = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-revoked-0001', 'sk-test-revoked-0002'] }]);
  const denied = await send(allBad.port);
  assert.equal(denied.status, 401);
  assert.equal(denied.json().error.type, 'authentication_error');
  assert.match(denied.json().error.message, /…0001/);
  assert.match(denied.json().error.message, /…0002/);
  assert.match(denied.json().error.message, /invalid x-api-key/);
  assert.doesNotMatch(denied.text, /sk-test-revoked/);
});

test('403 on a keyless endpoint belongs to the client key: passed through unchanged', async () => {
  const up = await startUpstream(status(403, {}, { type: 'error', error: { type: 'permission_error', message: 'nope' } }));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
  const r = await send(proxy.port);
  assert.equal(r.status, 403);
  assert.equal(r.json().error.message, 'nope');
  assert.equal(up.requests[0].headers['x-api-key'], 'sk-client-own-key-0000', 'the client key was passed through');
});

for (const code of [400, 404, 413, 422]) {
  test(`${code} is passed through unchanged, not retried, no health penalty`, async () => {
    const body = { type: 'error', error: { type: 'invalid_request_error', message: `exact upstream body ${code}` } };
    const up = await startUpstream(status(code, { 'x-upstream-header': 'kept' }, body));
    const other = await startUpstream(okJson('other'));
    const proxy = await startProxy([
      { name: 'a', baseUrl: up.url, weight: 100 },
      { name: 'b', baseUrl: other.url, weight: 1 },
    ]);
    const r = await send(proxy.port);
    assert.equal(r.status, code);
    assert.deepEqual(r.json(), body);
    assert.equal(r.headers['x-upstream-header'], 'kept');
    assert.equal(r.headers['x-switchyard-attempts'], '1');
    assert.equal(up.requests.length, 1);
    assert.equal(other.requests.length, 0);
    const ep = proxy.sy.stats().endpoints.find((e) => e.name === 'a')!;
    assert.equal(ep.failures, 0);
    assert.equal(ep.state, 'healthy');
  });
}

test('the request reaches the upstream with the base path kept, query kept, auth swapped and hop-by-hop headers stripped', async () => {
  const up = await startUpstream(okJson('up'));
  const bearer = await startUpstream(okJson('bearer'));
  const proxy = await startProxy([{ name: 'a', baseUrl: `${up.url}/api/`, keys: ['sk-test-swap-0001'] }]);
  const r = await send(proxy.port, { path: '/v1/messages?beta=true', headers: { authorization: 'Bearer client-token', connection: 'x-private, keep-alive', 'x-private': 'hop', 'anthropic-version': '2023-06-01' } });
  assert.equal(r.status, 200);
  const seen = up.requests[0];
  assert.equal(seen.url, '/api/v1/messages?beta=true');
  assert.equal(seen.headers['x-api-key'], 'sk-test-swap-0001');
  assert.equal(seen.headers.authorization, undefined, 'the client auth was replaced');
  assert.equal(seen.headers['x-private'], undefined, 'headers named in Connection are stripped');
  assert.equal(seen.headers['anthropic-version'], '2023-06-01');
  assert.equal(JSON.parse(seen.body).model, 'claude-test');

  const proxyBearer = await startProxy([{ name: 'b', baseUrl: bearer.url, keys: ['sk-test-bearer-0002'] }], {}, {}, 'openai');
  await send(proxyBearer.port, { path: '/v1/chat/completions' });
  assert.equal(bearer.requests[0].headers.authorization, 'Bearer sk-test-bearer-0002');
  assert.equal(bearer.requests[0].headers['x-api-key'], undefined);
});

test('429 on keyless endpoints belongs to the client key: tried elsewhere, then passed through with its retry-after', async () => {
  const a = await startUpstream(status(429, { 'retry-after': '7' }, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
  const b = await startUpstream(status(429, { 'retry-after': '9' }, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
  const proxy = await startProxy([
    { name: 'a', baseUrl: a.url },
    { name: 'b', baseUrl: b.url },
  ]);
  const r = await send(proxy.port);
  assert.equal(r.status, 429);
  assert.ok(['7', '9'].includes(String(r.headers['retry-after'])));
  assert.equal(r.json().error.message, 'slow down');
  assert.equal(a.requests.length + b.requests.length, 2, 'each endpoint tried once');
  assert.ok(proxy.sy.stats().endpoints.every((e) => e.state === 'healthy'), 'a 429 is not ill health');
});

test('a 429 whose cooldown is already over by the time every key was tried still answers 429, never 401', async () => {
  const up = await startUpstream(status(429, { 'retry-after-ms': '0' }, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-zero-0001'] }]);
  const r = await send(proxy.port);
  assert.equal(r.status, 429);
  assert.equal(r.json().error.type, 'rate_limit_error');
});

test('a failing status whose body stalls fails over after a short error-body wait, not the first-byte deadline', async () => {
  const stalling = await startUpstream((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.write('{"error":');
  });
  const good = await startUpstream(okJson('good'));
  const proxy = await startProxy(
    [
      { name: 'stalling', baseUrl: stalling.url, priority: 0 },
      { name: 'good', baseUrl: good.url, priority: 1 },
    ],
    { strategy: 'priority', timeouts: { firstByteMs: 20_000 } },
  );
  const started = Date.now();
  const r = await send(proxy.port);
  assert.equal(r.json().served_by, 'good');
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

test('the same 403 on two keys is about the request (a model, a region): passed through, and no key stays invalid', async () => {
  const up = await startUpstream(status(403, {}, { type: 'error', error: { type: 'permission_error', message: 'model not allowed for this organization' } }));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-k1-0001', 'sk-test-k2-0002', 'sk-test-k3-0003'] }]);
  const r = await send(proxy.port);
  assert.equal(r.status, 403);
  assert.equal(r.json().error.message, 'model not allowed for this organization');
  assert.equal(up.requests.length, 2, 'stopped after the second identical refusal');
  assert.ok(proxy.sy.stats().endpoints[0].keys.every((t) => t.state === 'ok'), JSON.stringify(proxy.sy.stats().endpoints[0].keys));
});
