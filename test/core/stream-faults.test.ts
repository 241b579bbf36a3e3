// Streaming faults: resets and stalls mid-stream, streams that end without their final event, and client aborts.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { ANTHROPIC_EVENTS, anthropicStream, closeAllUpstreams, resetAfterEvents, sseEvent, startUpstream } from './support/upstream';
import { delay, send, startProxy, stopAllProxies, STREAM_BODY, waitFor } from './support/proxy';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

test('a complete Anthropic stream is relayed event by event and counts as a success', async () => {
  const up = await startUpstream(anthropicStream(5));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-stream-0001'] }]);
  const r = await send(proxy.port, { body: STREAM_BODY });
  assert.equal(r.status, 200);
  assert.equal(r.aborted, false);
  assert.equal(r.headers['content-type'], 'text/event-stream');
  for (const [name] of ANTHROPIC_EVENTS) assert.match(r.text, new RegExp(`event: ${name}\\n`));
  const ep = proxy.sy.stats().endpoints[0];
  assert.equal(ep.requests, 1);
  assert.equal(ep.failures, 0);
});

test('an upstream reset after two SSE events: the client gets an SSE error event and a cut connection; a failure is recorded', async () => {
  const up = await startUpstream(resetAfterEvents(2));
  const spare = await startUpstream(anthropicStream());
  const proxy = await startProxy([
    { name: 'a', baseUrl: up.url, weight: 100 },
    { name: 'spare', baseUrl: spare.url, weight: 1 },
  ]);
  const r = await send(proxy.port, { body: STREAM_BODY });
  assert.equal(r.status, 200);
  assert.match(r.text, /event: message_start/);
  assert.match(r.text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Switchyard: [^"]*STREAM_RESET|event: error\ndata: .*connection reset/);
  assert.equal(r.aborted, true, 'the response must not end cleanly');
  assert.equal(spare.requests.length, 0, 'no retry once bytes were sent');
  const ep = proxy.sy.stats().endpoints.find((e) => e.name === 'a')!;
  assert.equal(ep.failures, 1);
  assert.equal(ep.lastError?.cause, 'STREAM_RESET');
});

test('a stream that ends cleanly but without message_stop is a failure, and the client sees an error event', async () => {
  const up = await startUpstream(anthropicStream(0, ANTHROPIC_EVENTS.slice(0, 4)));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
  const r = await send(proxy.port, { body: STREAM_BODY });
  assert.match(r.text, /event: error/);
  assert.equal(r.aborted, true);
  const ep = proxy.sy.stats().endpoints[0];
  assert.equal(ep.failures, 1);
  assert.equal(ep.lastError?.cause, 'STREAM_INCOMPLETE');
});

test('an OpenAI stream without [DONE] or a finish reason is a failure; with [DONE] it is a success', async () => {
  const chunk = (finish: string | null) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: finish }] })}\n\n`;
  const cut = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(chunk(null) + chunk(null));
  });
  const whole = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(chunk(null) + chunk('stop') + 'data: [DONE]\n\n');
  });
  const bad = await startProxy([{ name: 'cut', baseUrl: cut.url }], {}, {}, 'openai');
  const r1 = await send(bad.port, { path: '/v1/chat/completions', body: { model: 'gpt-test', stream: true, messages: [] } });
  assert.match(r1.text, /data: \{"error":\{"message":"Switchyard: [^"]*","type":"upstream_error","code":"STREAM_INCOMPLETE"\}\}/);
  assert.equal(bad.sy.stats().endpoints[0].lastError?.cause, 'STREAM_INCOMPLETE');

  const good = await startProxy([{ name: 'whole', baseUrl: whole.url }], {}, {}, 'openai');
  const r2 = await send(good.port, { path: '/v1/chat/completions', body: { model: 'gpt-test', stream: true, messages: [] } });
  assert.equal(r2.aborted, false);
  assert.match(r2.text, /data: \[DONE\]/);
  assert.equal(good.sy.stats().endpoints[0].failures, 0);
});

test('a stream that goes idle past the idle deadline fails visibly; pings keep a slow stream alive', async () => {
  const idle = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sseEvent('message_start', ANTHROPIC_EVENTS[0][1]));
  });
  const proxy = await startProxy([{ name: 'idle', baseUrl: idle.url }], { timeouts: { idleMs: 150 } });
  const r = await send(proxy.port, { body: STREAM_BODY });
  assert.match(r.text, /event: error/);
  assert.equal(r.aborted, true);
  assert.equal(proxy.sy.stats().endpoints[0].lastError?.cause, 'STREAM_STALLED');

  // Every 60 ms a ping: the whole stream takes far longer than the 150 ms idle deadline but never idles that long.
  const pinging = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const t = setInterval(() => {
      if (n++ < 6) res.write(sseEvent('ping', { type: 'ping' }));
      else {
        clearInterval(t);
        res.end(ANTHROPIC_EVENTS.map(([e, d]) => sseEvent(e, d)).join(''));
      }
    }, 60);
  });
  const proxy2 = await startProxy([{ name: 'pinging', baseUrl: pinging.url }], { timeouts: { idleMs: 150 } });
  const r2 = await send(proxy2.port, { body: STREAM_BODY });
  assert.equal(r2.aborted, false);
  assert.match(r2.text, /event: message_stop/);
  assert.equal(proxy2.sy.stats().endpoints[0].failures, 0);
});

test('a client that disconnects mid-stream aborts the upstream within a second; nothing is left open; not an endpoint failure', async () => {
  let upstreamClosed = 0;
  const up = await startUpstream((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sseEvent('message_start', ANTHROPIC_EVENTS[0][1]));
    const t = setInterval(() => res.write(sseEvent('ping', { type: 'ping' })), 50);
    res.on('close', () => {
      clearInterval(t);
      upstreamClosed = Date.now();
    });
    void req;
  });
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
  let abortedAt = 0;
  await send(proxy.port, {
    body: STREAM_BODY,
    onChunk: (_c, req) => {
      if (!abortedAt) {
        abortedAt = Date.now();
        req.destroy();
      }
    },
  }).catch(() => undefined);
  await waitFor(() => upstreamClosed > 0, 1000, 'the upstream to see its request closed');
  assert.ok(upstreamClosed - abortedAt < 1000);
  await waitFor(() => up.openSockets() === 0, 1000, 'upstream sockets to close');
  const stats = proxy.sy.stats();
  assert.equal(stats.requests.inFlight, 0);
  assert.equal(stats.endpoints[0].inFlight, 0);
  assert.equal(stats.endpoints[0].failures, 0);
  assert.equal(stats.upstreamSockets, 0);
});

test('a client that disconnects while the upstream has not answered yet aborts the upstream request too', async () => {
  let closed = false;
  const up = await startUpstream((_req, res) => {
    res.on('close', () => (closed = true));
  });
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], { timeouts: { firstByteMs: 60_000 } });
  const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' } });
  req.on('error', () => undefined);
  req.end(JSON.stringify(STREAM_BODY));
  await waitFor(() => up.requests.length === 1, 1000, 'the request to reach the upstream');
  req.destroy();
  await waitFor(() => closed, 1000, 'the upstream to see the abort');
  await waitFor(() => proxy.sy.stats().requests.inFlight === 0, 1000, 'the request to finish');
  assert.equal(proxy.sy.stats().endpoints[0].failures, 0);
  await delay(20);
  assert.equal(up.openSockets(), 0);
});

test('backpressure: a client that stops reading stops the upstream too, instead of the proxy buffering the body', async () => {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let upstreamFinished = false;
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let sent = 0;
    const pump = () => {
      while (sent < 32 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end(() => (upstreamFinished = true));
    };
    pump();
  });
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
  let received = 0;
  let paused = false;
  const done = send(proxy.port, {
    method: 'GET',
    path: '/big',
    onChunk: (c, req) => {
      received += c.length;
      if (!paused && received > 1024 * 1024) {
        paused = true;
        const res = (req as unknown as { res: import('node:http').IncomingMessage }).res;
        res.pause();
        setTimeout(() => res.resume(), 400);
      }
    },
  });
  await delay(300);
  assert.equal(upstreamFinished, false, 'the upstream is held back while the client is not reading');
  const r = await done;
  assert.equal(r.status, 200);
  assert.equal(received, 32 * 1024 * 1024);
});

test('the upstream is asked for an uncompressed body, so SSE events stay readable even behind a compressing relay', async () => {
  const zlib = await import('node:zlib');
  const up = await startUpstream((req, res) => {
    const gzip = /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = ANTHROPIC_EVENTS.map(([n, d]) => sseEvent(n, d)).join('');
    res.writeHead(200, { 'content-type': 'text/event-stream', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    res.end(gzip ? zlib.gzipSync(body) : body);
  });
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
  const r = await send(proxy.port, { body: STREAM_BODY, headers: { 'accept-encoding': 'gzip, deflate, br' } });
  assert.equal(up.requests[0].headers['accept-encoding'], 'identity');
  assert.equal(r.aborted, false);
  assert.match(r.text, /event: message_stop/);
  assert.equal(proxy.sy.stats().endpoints[0].failures, 0);
});

test('an SSE stream that opens with an error event after a ping fails over before anything reaches the client', async () => {
  const failing = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': keep-alive\n\nevent: ping\ndata: {"type": "ping"}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
  });
  const good = await startUpstream(anthropicStream());
  const proxy = await startProxy([
    { name: 'failing', baseUrl: failing.url, weight: 100 },
    { name: 'good', baseUrl: good.url, weight: 1 },
  ]);
  const r = await send(proxy.port, { body: STREAM_BODY });
  assert.equal(r.headers['x-switchyard-endpoint'], 'good');
  assert.doesNotMatch(r.text, /overloaded_error/);
  assert.equal(proxy.sy.stats().endpoints.find((e) => e.name === 'failing')!.lastError?.cause, 'OVERLOADED');
});
