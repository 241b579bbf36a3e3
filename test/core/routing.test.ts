// Which cluster and which failover rules a request gets from its path: families, count_tokens, unknown paths, continuations, WebSockets.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { Switchyard } from '../../src/core/switchyard';
import { validateConfig } from '../../src/core/config';
import { closeAllUpstreams, okJson, refusedPort, startUpstream, status, TestUpstream } from './support/upstream';
import { send, startProxy, stopAllProxies } from './support/proxy';
import { streamHandler, WIRE_APIS } from './support/wire';

const running: Switchyard[] = [];
after(async () => {
  await Promise.all(running.map((sy) => sy.stop(100)));
  await stopAllProxies();
  await closeAllUpstreams();
});

/** A request with only the headers given (`send` adds the Anthropic SDK's x-api-key). */
function plain(port: number, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; endpoint: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, endpoint: res.headers['x-switchyard-endpoint'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : '{}');
  });
}

/** One Switchyard with an anthropic and an openai cluster, each with its own upstream. */
async function twoFamilies(anthropic: TestUpstream, openai: TestUpstream, extra: Record<string, unknown> = {}): Promise<{ sy: Switchyard; port: number }> {
  const config = validateConfig({
    activeCluster: 'claude',
    clusters: [
      { name: 'claude', protocol: 'anthropic', endpoints: [{ name: 'anthropic-up', baseUrl: anthropic.url }] },
      { name: 'codex', protocol: 'openai', endpoints: [{ name: 'openai-up', baseUrl: openai.url }] },
      { name: 'codex-backup', protocol: 'openai', endpoints: [{ name: 'backup-up', baseUrl: openai.url }] },
    ],
    timeouts: { connectMs: 1000, firstByteMs: 1000, streamFirstByteMs: 1000, idleMs: 1000 },
    ...extra,
  });
  const sy = new Switchyard({ config, writeRequestLog: false, usageFile: false, env: {} });
  running.push(sy);
  const { port } = await sy.start(0, '127.0.0.1');
  return { sy, port };
}

describe('one active cluster per protocol family', () => {
  test('requests go to their family\'s active cluster by path; other paths by their headers', async () => {
    const a = await startUpstream(okJson('anthropic'));
    const o = await startUpstream(okJson('openai'));
    const { sy, port } = await twoFamilies(a, o);
    const served = async (path: string, method = 'POST', headers: Record<string, string> = { 'x-api-key': 'sk-ant-client' }) => (await plain(port, method, path, headers)).endpoint;
    assert.equal(await served('/v1/messages?beta=true'), 'anthropic-up');
    assert.equal(await served('/v1/messages/count_tokens'), 'anthropic-up');
    assert.equal(await served('/v1/chat/completions'), 'openai-up');
    assert.equal(await served('/v1/responses'), 'openai-up');
    const bearer = { authorization: 'Bearer sk-openai-client' };
    assert.equal(await served('/v1/embeddings', 'POST', bearer), 'openai-up');
    assert.equal(await served('/v1/models', 'GET', bearer), 'openai-up');
    assert.equal(await served('/v1/models', 'GET', { 'anthropic-version': '2023-06-01' }), 'anthropic-up');
    assert.deepEqual(sy.stats().activeClusters, { anthropic: 'claude', openai: 'codex' });
    assert.deepEqual(sy.stats().clusters.map((c) => [c.name, c.active]), [['claude', true], ['codex', true], ['codex-backup', false]]);
  });

  test('activeClusters picks a family\'s cluster without touching the other family; a wrong family is a config error naming the field', async () => {
    const a = await startUpstream(okJson('anthropic'));
    const o = await startUpstream(okJson('openai'));
    const { sy, port } = await twoFamilies(a, o, { activeClusters: { openai: 'codex-backup' } });
    assert.equal((await send(port, { path: '/v1/responses' })).headers['x-switchyard-endpoint'], 'backup-up');
    assert.equal((await send(port, { path: '/v1/messages' })).headers['x-switchyard-endpoint'], 'anthropic-up');
    assert.deepEqual(sy.stats().activeClusters, { anthropic: 'claude', openai: 'codex-backup' });
    assert.throws(
      () => validateConfig({ clusters: [{ name: 'claude', protocol: 'anthropic', endpoints: [] }], activeClusters: { openai: 'claude' } }),
      /activeClusters\.openai: names cluster "claude", whose protocol is anthropic/,
    );
  });

  test('a known API of a family with no cluster gets NO_CLUSTER in its own shape; an unknown path still passes through to the other family', async () => {
    const a = await startUpstream(okJson('anthropic'));
    const proxy = await startProxy([{ name: 'only', baseUrl: a.url }]);
    const r = await send(proxy.port, { path: '/v1/responses', body: { model: 'gpt-test', input: 'hi' } });
    assert.equal(r.status, 503);
    assert.equal(r.json().error.code, 'NO_CLUSTER');
    assert.match(r.json().error.message, /no openai cluster/);
    assert.equal(a.requests.length, 0);
    assert.equal((await plain(proxy.port, 'GET', '/v1/models', { authorization: 'Bearer x' })).status, 200);
    assert.equal(a.requests.length, 1);
  });
});

describe('count_tokens', () => {
  test('passes through untouched and is not usage', async () => {
    const body = JSON.stringify({ input_tokens: 4242 });
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(body);
    });
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
    const seen: unknown[] = [];
    proxy.sy.onRequest((r) => seen.push(r));
    const request = { model: 'claude-test', messages: [{ role: 'user', content: 'count me' }] };
    const r = await send(proxy.port, { path: '/v1/messages/count_tokens', body: request });
    assert.equal(r.status, 200);
    assert.equal(r.text, body);
    assert.equal(r.headers['x-upstream'], 'yes');
    assert.equal(up.requests[0].body, JSON.stringify(request), 'the body reaches the upstream byte for byte');
    assert.equal(up.requests[0].url, '/v1/messages/count_tokens');
    assert.deepEqual(seen.map((x) => [(x as { operation: string }).operation, (x as { usage?: unknown }).usage]), [['count_tokens', undefined]]);
  });

  test('a 404 from a relay that lacks it tries another endpoint, then passes the 404 through; no health penalty', async () => {
    const lacking = await startUpstream(status(404, {}, { type: 'error', error: { type: 'not_found_error', message: 'no such route' } }));
    const serving = await startUpstream(okJson('serving'));
    const both = await startProxy([{ name: 'lacking', baseUrl: lacking.url, weight: 100 }, { name: 'serving', baseUrl: serving.url, weight: 1 }]);
    const r = await send(both.port, { path: '/v1/messages/count_tokens' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-switchyard-endpoint'], 'serving');
    const only = await startProxy([{ name: 'lacking', baseUrl: lacking.url }]);
    const r404 = await send(only.port, { path: '/v1/messages/count_tokens' });
    assert.equal(r404.status, 404);
    assert.match(r404.text, /no such route/);
    for (const e of [...both.sy.stats().endpoints, ...only.sy.stats().endpoints]) assert.equal(e.failures, 0, e.name);
  });
});

describe('unknown paths', () => {
  test('a POST fails over only when it never reached an upstream; after a status the upstream\'s answer passes through', async () => {
    const busy = await startUpstream(status(503, {}, { error: { message: 'busy', type: 'server_error' } }));
    const spare = await startUpstream(okJson('spare'));
    const proxy = await startProxy([{ name: 'busy', baseUrl: busy.url, weight: 100 }, { name: 'spare', baseUrl: spare.url, weight: 1 }], {}, {}, 'openai');
    const r = await send(proxy.port, { path: '/v1/files', body: { purpose: 'batch' } });
    assert.equal(r.status, 503);
    assert.match(r.text, /busy/);
    assert.equal(spare.requests.length, 0, 'a POST that may have had side effects is not sent twice');

    const refused = await refusedPort();
    const proxy2 = await startProxy([{ name: 'down', baseUrl: `http://127.0.0.1:${refused}`, weight: 100 }, { name: 'spare', baseUrl: spare.url, weight: 1 }], {}, {}, 'openai');
    const r2 = await send(proxy2.port, { path: '/v1/files', body: { purpose: 'batch' } });
    assert.equal(r2.status, 200);
    assert.equal(r2.headers['x-switchyard-endpoint'], 'spare');
  });

  test('a GET fails over like any request, and a stream there has no end rule', async () => {
    const busy = await startUpstream(status(503));
    const sse = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"anything": 1}\n\n');
    });
    const proxy = await startProxy([{ name: 'busy', baseUrl: busy.url, weight: 100 }, { name: 'sse', baseUrl: sse.url, weight: 1 }], {}, {}, 'openai');
    const r = await send(proxy.port, { path: '/v1/some/feed', method: 'GET' });
    assert.equal(r.status, 200);
    assert.equal(r.aborted, false);
    assert.equal(proxy.sy.stats().endpoints.find((e) => e.name === 'sse')!.failures, 0);
  });
});

describe('Responses continuations', () => {
  const responses = WIRE_APIS.find((a) => a.name === 'openai-responses')!;

  test('previous_response_id goes to one target: its own 404 passes through, no other key or endpoint is tried', async () => {
    const up = await startUpstream(status(404, {}, { error: { message: "Previous response with id 'resp_old' not found.", type: 'invalid_request_error', code: 'previous_response_not_found' } }));
    const spare = await startUpstream(streamHandler(responses.events));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url, weight: 100, keys: ['sk-test-cont-0001', 'sk-test-cont-0002'] }, { name: 'spare', baseUrl: spare.url, weight: 1 }], {}, {}, 'openai');
    const r = await send(proxy.port, { path: '/v1/responses', body: { model: 'gpt-test', previous_response_id: 'resp_old', input: 'and then?' } });
    assert.equal(r.status, 404);
    assert.match(r.text, /previous_response_not_found/);
    assert.equal(up.requests.length, 1);
    assert.equal(spare.requests.length, 0);
  });

  test('a 503 on a continuation passes through too: another account would not know the response', async () => {
    const up = await startUpstream(status(503, {}, { error: { message: 'busy', type: 'server_error' } }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-cont-0003', 'sk-test-cont-0004'] }], {}, {}, 'openai');
    for (const [method, path] of [['GET', '/v1/responses/resp_abc123'], ['POST', '/v1/responses/resp_abc123/cancel'], ['DELETE', '/v1/responses/resp_abc123'], ['POST', '/v1/responses/compact']]) {
      const before = up.requests.length;
      const r = await send(proxy.port, { method, path, body: method === 'POST' ? {} : '' });
      assert.equal(r.status, 503, `${method} ${path}`);
      assert.match(r.text, /busy/, 'the upstream\'s own answer');
      assert.equal(up.requests.length - before, 1, `${method} ${path}: one attempt, no second key`);
    }
  });
});

describe('WebSocket upgrades', () => {
  function upgrade(port: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string; ms: number }> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/v1/responses',
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13', authorization: 'Bearer sk-client', ...headers },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
      });
      req.on('upgrade', () => reject(new Error('the proxy must not upgrade')));
      req.on('error', reject);
      req.end();
    });
  }

  test('get 426 at once with an OpenAI-shaped body naming the reason; nothing reaches the upstream', async () => {
    const up = await startUpstream(okJson('up'));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const r = await upgrade(proxy.port);
    assert.equal(r.status, 426);
    assert.ok(r.ms < 1000, `answered in ${r.ms} ms`);
    const body = JSON.parse(r.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'WEBSOCKET_UNSUPPORTED');
    assert.match(body.error.message, /WebSocket upgrades are not relayed/);
    assert.equal(up.requests.length, 0);
  });

  test('a cross-origin one is refused 403 by the same guard as every request', async () => {
    const up = await startUpstream(okJson('up'));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const r = await upgrade(proxy.port, { origin: 'https://evil.example.com' });
    assert.equal(r.status, 403);
    assert.match(r.body, /FORBIDDEN_ORIGIN/);
  });
});
