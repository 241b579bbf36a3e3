// Non-streaming 2xx answers are read whole before a byte is relayed: a break or a stall before their end fails over; a large one still streams through.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeAllUpstreams, Handler, okJson, startUpstream } from './support/upstream';
import { Overrides, send, startProxy, stopAllProxies } from './support/proxy';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

/** A 200 JSON answer that promises `length` bytes and sends only the first half. */
function halfJson(then: 'reset' | 'stall', length = 400): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(length) });
    res.write(`{"id":"msg_half","type":"message","content":[{"type":"text","text":"${'x'.repeat(length / 2)}`);
    if (then === 'reset') setTimeout(() => req.socket.resetAndDestroy(), 20);
  };
}

/** A proxy that sends requests to `name` first (weight 100) and has a healthy spare answering `served_by: "spare"`. */
async function behindSpare(name: string, handler: Handler, overrides: Overrides = {}) {
  const first = await startUpstream(handler);
  const spare = await startUpstream(okJson('spare'));
  const proxy = await startProxy(
    [
      { name, baseUrl: first.url, weight: 100 },
      { name: 'spare', baseUrl: spare.url, weight: 1 },
    ],
    overrides,
  );
  return { first, proxy, endpoint: () => proxy.sy.stats().endpoints.find((e) => e.name === name)! };
}

test('a JSON answer whose connection breaks before its end is tried on another endpoint; the client gets one whole answer', async () => {
  const { first: broken, proxy, endpoint } = await behindSpare('broken', halfJson('reset'));
  const r = await send(proxy.port);
  assert.equal(r.status, 200);
  assert.equal(r.aborted, false);
  assert.equal(r.json().served_by, 'spare', 'no byte of the broken answer reached the client');
  assert.equal(r.headers['x-switchyard-attempts'], '2');
  assert.equal(broken.requests.length, 1);
  const ep = endpoint();
  assert.equal(ep.failures, 1);
  assert.equal(ep.lastError?.cause, 'UPSTREAM_RESET');
});

test('a JSON answer that stops coming for idleMs is given up and tried elsewhere', async () => {
  const { proxy, endpoint } = await behindSpare('stalled', halfJson('stall'), { timeouts: { idleMs: 150 } });
  const started = Date.now();
  const r = await send(proxy.port);
  assert.equal(r.status, 200);
  assert.equal(r.json().served_by, 'spare');
  assert.ok(Date.now() - started < 2000, `failed over after ${Date.now() - started} ms, not at a longer deadline`);
  const ep = endpoint();
  assert.equal(ep.lastError?.cause, 'UPSTREAM_TIMEOUT');
  assert.match(ep.lastError?.message ?? '', /no data for 150 ms/);
});

test('a 200 whose JSON body is an overloaded error fails over before the client sees it', async () => {
  const { proxy, endpoint } = await behindSpare('overloaded', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
  });
  const r = await send(proxy.port);
  assert.equal(r.status, 200);
  assert.equal(r.json().served_by, 'spare');
  assert.equal(endpoint().lastError?.cause, 'OVERLOADED');
});

test('a JSON answer larger than what is read whole streams through intact, and its usage is still read', async () => {
  const text = 'y'.repeat(600 * 1024);
  const body = JSON.stringify({ id: 'msg_big', type: 'message', model: 'claude-test', content: [{ type: 'text', text }], usage: { input_tokens: 11, output_tokens: 7 } });
  const big = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    // In pieces, as a relay sends a large answer.
    for (let i = 0; i < body.length; i += 64 * 1024) res.write(body.slice(i, i + 64 * 1024));
    res.end();
  });
  const proxy = await startProxy([{ name: 'big', baseUrl: big.url, keys: ['sk-test-whole-0001'] }]);
  const r = await send(proxy.port);
  assert.equal(r.status, 200);
  assert.equal(r.aborted, false);
  assert.equal(r.text, body);
  const ep = proxy.sy.stats().endpoints[0];
  assert.equal(ep.failures, 0);
  assert.equal(ep.usage.inputTokens, 11);
  assert.equal(ep.usage.outputTokens, 7);
});
