// Each wire API's adapter through real sockets: a proper end, a truncated stream, an upstream error event, a reset, an error before content.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestRecord } from '../../src/core/log';
import { closeAllUpstreams, startUpstream } from './support/upstream';
import { send, startProxy, stopAllProxies, TestProxy } from './support/proxy';
import { sse, streamHandler, WIRE_APIS, WireApi } from './support/wire';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

function records(proxy: TestProxy): RequestRecord[] {
  const out: RequestRecord[] = [];
  proxy.sy.onRequest((r) => out.push(r));
  return out;
}

function eventsText(api: WireApi, count = api.events.length): string {
  return api.events
    .slice(0, count)
    .map(([name, data]) => sse(name, data))
    .join('');
}

for (const api of WIRE_APIS) {
  describe(api.name, () => {
    const request = { path: api.path, body: api.body };
    const firstContent = api.opening + 1;

    test('a complete stream is relayed byte for byte and counts as a success', async () => {
      const up = await startUpstream(streamHandler(api.events));
      const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, api.protocol);
      const seen = records(proxy);
      const r = await send(proxy.port, request);
      assert.equal(r.status, 200);
      assert.equal(r.aborted, false);
      assert.equal(r.text, eventsText(api));
      const ep = proxy.sy.stats().endpoints[0];
      assert.equal(ep.failures, 0);
      assert.equal(ep.state, 'healthy');
      assert.equal(seen[0].outcome, 'OK');
      assert.equal(seen[0].api, api.name);
    });

    test('a stream that ends without its proper end is a failure, and the client gets the protocol\'s own error event', async () => {
      const up = await startUpstream(streamHandler(api.events, { count: firstContent }));
      const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, api.protocol);
      const r = await send(proxy.port, request);
      assert.ok(r.text.startsWith(eventsText(api, firstContent)), 'what the upstream sent reaches the client');
      assert.match(r.text, api.cutPattern);
      assert.match(r.text, /STREAM_INCOMPLETE|stream ended without its final event/);
      assert.equal(r.aborted, true, 'the connection is cut, never a clean-looking end');
      assert.equal(proxy.sy.stats().endpoints[0].lastError?.cause, 'STREAM_INCOMPLETE');
    });

    test('an upstream error event after content reaches the client as sent and counts against the endpoint', async () => {
      const up = await startUpstream(streamHandler(api.events, { count: firstContent, extra: [api.serverErrorEvent] }));
      const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, api.protocol);
      const seen = records(proxy);
      const r = await send(proxy.port, request);
      assert.equal(r.text, eventsText(api, firstContent) + sse(...api.serverErrorEvent), 'nothing added after the upstream\'s own error event');
      const ep = proxy.sy.stats().endpoints[0];
      assert.equal(ep.failures, 1);
      assert.equal(ep.lastError?.cause, 'STREAM_UPSTREAM_ERROR');
      assert.equal(seen[0].outcome, 'STREAM_UPSTREAM_ERROR');
    });

    test('a reset after the first content event cuts the client visibly; nothing is retried', async () => {
      const up = await startUpstream(streamHandler(api.events, { count: firstContent, then: 'reset' }));
      const spare = await startUpstream(streamHandler(api.events));
      const proxy = await startProxy([{ name: 'a', baseUrl: up.url, weight: 100 }, { name: 'spare', baseUrl: spare.url, weight: 1 }], {}, {}, api.protocol);
      const r = await send(proxy.port, request);
      assert.match(r.text, api.cutPattern);
      assert.equal(r.aborted, true);
      assert.equal(spare.requests.length, 0, 'bytes were sent, so no retry');
      assert.equal(proxy.sy.stats().endpoints.find((e) => e.name === 'a')!.lastError?.cause, 'STREAM_RESET');
    });

    test('an error event before any content fails over: the opening frames were held back, the client sees only the spare\'s stream', async () => {
      const up = await startUpstream(streamHandler(api.events, { count: api.opening, extra: [api.serverErrorEvent] }));
      const spare = await startUpstream(streamHandler(api.events));
      const proxy = await startProxy([{ name: 'a', baseUrl: up.url, weight: 100 }, { name: 'spare', baseUrl: spare.url, weight: 1 }], {}, {}, api.protocol);
      const r = await send(proxy.port, request);
      assert.equal(r.status, 200);
      assert.equal(r.text, eventsText(api));
      assert.equal(r.headers['x-switchyard-endpoint'], 'spare');
      assert.equal(r.headers['x-switchyard-attempts'], '2');
      assert.equal(proxy.sy.stats().endpoints.find((e) => e.name === 'a')!.failures, 1);
    });
  });
}

describe('opening frames', () => {
  test('are flushed after timeouts.openingHoldMs when no content follows, and the stream goes on', { timeout: 5000 }, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const api = WIRE_APIS[0];
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse(...api.events[0]));
      void gate.then(() => res.end(api.events.slice(1).map(([n, d]) => sse(n, d)).join('')));
    });
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], { timeouts: { openingHoldMs: 50 } });
    let early = '';
    const pending = send(proxy.port, {
      path: api.path,
      body: api.body,
      onChunk: (c) => {
        early += c.toString();
        release();
      },
    });
    const r = await pending;
    assert.ok(early.startsWith('event: message_start'), 'message_start reached the client before the upstream sent any content');
    assert.equal(r.text, eventsText(api));
  });
});

describe('Responses specifics', () => {
  const responses = WIRE_APIS.find((a) => a.name === 'openai-responses')!;
  const request = { path: responses.path, body: responses.body };
  const failed = (code: string) =>
    ['response.failed', { type: 'response.failed', sequence_number: 3, response: { id: 'resp_test1', object: 'response', status: 'failed', error: { code, message: `it failed: ${code}` } } }] as const;

  test('response.incomplete is a proper end', async () => {
    const events = responses.events.slice(0, -1).concat([['response.incomplete', { type: 'response.incomplete', sequence_number: 8, response: { id: 'resp_test1', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } }]]);
    const up = await startUpstream(streamHandler(events));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const r = await send(proxy.port, request);
    assert.equal(r.aborted, false);
    assert.equal(proxy.sy.stats().endpoints[0].failures, 0);
  });

  test('response.failed with context_length_exceeded is the client\'s: visible, but the endpoint stays healthy', async () => {
    const up = await startUpstream(streamHandler(responses.events, { count: 3, extra: [failed('context_length_exceeded')] }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const seen = records(proxy);
    const r = await send(proxy.port, request);
    assert.match(r.text, /context_length_exceeded/);
    assert.equal(seen[0].outcome, 'CLIENT_ERROR');
    const ep = proxy.sy.stats().endpoints[0];
    assert.equal(ep.failures, 0);
    assert.equal(ep.state, 'healthy');
  });

  test('response.failed with insufficient_quota is the key\'s: the key is taken out, not the endpoint', async () => {
    const up = await startUpstream(streamHandler(responses.events, { count: 3, extra: [failed('insufficient_quota')] }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-quota-0001', 'sk-test-quota-0002'] }], {}, {}, 'openai');
    const seen = records(proxy);
    await send(proxy.port, request);
    assert.equal(seen[0].outcome, 'KEY_NO_QUOTA');
    const ep = proxy.sy.stats().endpoints[0];
    assert.equal(ep.failures, 0);
    assert.deepEqual(ep.keys.map((k) => k.state).sort(), ['invalid', 'ok']);
  });

  test('a bare error event with no terminal event after it: the proxy ends the stream with response.failed (Codex ignores bare errors)', async () => {
    const up = await startUpstream(streamHandler(responses.events, { count: 3, extra: [['error', { type: 'error', code: 'server_error', message: 'oops', sequence_number: 3 }]] }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const r = await send(proxy.port, request);
    assert.match(r.text, /event: error\n/);
    assert.match(r.text, /event: response\.failed\ndata: \{"type":"response\.failed","sequence_number":4,/);
    assert.equal(r.aborted, true);
  });

  test('a rate limit reported inside the stream cools the key', async () => {
    const up = await startUpstream(streamHandler(responses.events, { count: 3, extra: [failed('rate_limit_exceeded')] }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-rl-00000001'] }], {}, {}, 'openai');
    await send(proxy.port, request);
    assert.equal(proxy.sy.stats().endpoints[0].keys[0].state, 'cooling');
  });
});
