// Connection-level faults: stale keep-alive sockets, refused, DNS, TLS, stalls before headers — each injected on real sockets.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { closeAllUpstreams, okJson, refusedPort, startUpstream, stall } from './support/upstream';
import { delay, send, startProxy, stopAllProxies } from './support/proxy';
import { selfSignedLoopbackCert } from './support/diagCerts';

const closers: (() => void)[] = [];

after(async () => {
  for (const close of closers) close();
  await stopAllProxies();
  await closeAllUpstreams();
});

test('a pooled socket reset on reuse is retried at once on a fresh connection and is not an endpoint failure', async () => {
  // The upstream kills every connection on its second request without answering: every reuse is stale.
  const up = await startUpstream((req, res, rec) => {
    if (rec.onSocket > 0) {
      req.socket.destroy();
      return;
    }
    okJson('a')(req, res, rec);
  });
  const spare = await startUpstream(okJson('spare'));
  // One attempt only and a spare endpoint: only a same-endpoint fresh retry can serve these from `a`.
  const proxy = await startProxy(
    [
      { name: 'a', baseUrl: up.url, keys: ['sk-test-stale-0001'], priority: 0 },
      { name: 'spare', baseUrl: spare.url, priority: 1 },
    ],
    { strategy: 'priority', retry: { maxAttempts: 1 } },
  );
  for (let i = 0; i < 15; i++) {
    const r = await send(proxy.port);
    assert.equal(r.status, 200, `request ${i}: ${r.text}`);
    assert.equal(r.headers['x-switchyard-endpoint'], 'a');
  }
  assert.equal(spare.requests.length, 0, 'never failed over');
  const ep = proxy.sy.stats().endpoints[0];
  assert.equal(ep.failures, 0);
  assert.equal(ep.state, 'healthy');
  assert.ok(up.requests.some((r) => r.onSocket > 0), 'the pool did reuse sockets, so the fault was exercised');
});

test('upstream advertising Keep-Alive timeout=60 but closing idle sockets after 0.5 s: spaced requests all succeed', async () => {
  const up = await startUpstream(
    (req, res, rec) => {
      res.setHeader('keep-alive', 'timeout=60');
      okJson('a')(req, res, rec);
    },
    { keepAliveTimeoutMs: 500 },
  );
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-keepalive-0001'] }]);
  let ok = 0;
  const total = 10;
  for (let i = 0; i < total; i++) {
    const r = await send(proxy.port);
    if (r.status === 200) ok++;
    // Land right around the upstream's idle close, where the race lives.
    await delay(480 + Math.floor(Math.random() * 40));
  }
  assert.equal(ok, total, 'success rate must stay at 100%');
  assert.equal(proxy.sy.stats().endpoints[0].failures, 0);
});

test('connection refused fails over at once (even for POST) and counts toward ejection', async () => {
  const good = await startUpstream(okJson('good'));
  const dead = await refusedPort();
  const proxy = await startProxy([
    { name: 'dead', baseUrl: `http://127.0.0.1:${dead}`, keys: ['sk-test-dead-0001'] },
    { name: 'good', baseUrl: good.url, keys: ['sk-test-good-0002'] },
  ]);
  for (let i = 0; i < 6; i++) {
    const r = await send(proxy.port);
    assert.equal(r.status, 200);
    assert.equal(r.json().served_by, 'good');
  }
  const dead_ = proxy.sy.stats().endpoints.find((e) => e.name === 'dead')!;
  assert.ok(dead_.failures >= 1);
  assert.equal(dead_.lastError?.cause, 'UPSTREAM_CONNECT');
  // Drive it to the ejection threshold (3 in tests) directly and see the circuit open.
  const only = await startProxy([{ name: 'dead', baseUrl: `http://127.0.0.1:${dead}` }], { retry: { maxAttempts: 1 } });
  for (let i = 0; i < 3; i++) assert.equal((await send(only.port)).status, 502);
  assert.equal(only.sy.stats().endpoints[0].state, 'open');
  assert.ok(only.sy.stats().endpoints[0].nextProbeAt! > Date.now());
});

test('a host name that does not resolve is a DNS failure and fails over', async () => {
  const good = await startUpstream(okJson('good'));
  const proxy = await startProxy([
    { name: 'nowhere', baseUrl: 'http://switchyard-test-host.invalid', keys: ['sk-test-dns-0001'] },
    { name: 'good', baseUrl: good.url },
  ]);
  const results = await Promise.all([send(proxy.port), send(proxy.port)]);
  for (const r of results) assert.equal(r.status, 200);
  const ep = proxy.sy.stats().endpoints.find((e) => e.name === 'nowhere')!;
  assert.equal(ep.lastError?.cause, 'UPSTREAM_DNS');
});

test('a TLS server that never finishes the handshake hits the connect deadline and fails over', async () => {
  const silent = net.createServer(() => undefined);
  closers.push(() => silent.close());
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  const good = await startUpstream(okJson('good'));
  const proxy = await startProxy(
    [
      { name: 'silent', baseUrl: `https://127.0.0.1:${port}` },
      { name: 'good', baseUrl: good.url },
    ],
    { timeouts: { connectMs: 200 } },
  );
  const results = await Promise.all([send(proxy.port), send(proxy.port)]);
  for (const r of results) assert.equal(r.status, 200);
  const ep = proxy.sy.stats().endpoints.find((e) => e.name === 'silent')!;
  assert.equal(ep.lastError?.cause, 'UPSTREAM_CONNECT_TIMEOUT');
});

test('a self-signed certificate is a TLS configuration fault: ejected at once, request saved elsewhere', async () => {
  const { key, cert } = selfSignedLoopbackCert('localhost');
  const tlsServer = https.createServer({ key, cert }, (_req, res) => res.end('{}'));
  closers.push(() => {
    tlsServer.closeAllConnections();
    tlsServer.close();
  });
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  const port = (tlsServer.address() as net.AddressInfo).port;
  const good = await startUpstream(okJson('good'));
  const proxy = await startProxy([
    { name: 'selfsigned', baseUrl: `https://127.0.0.1:${port}` },
    { name: 'good', baseUrl: good.url },
  ]);
  const results = await Promise.all([send(proxy.port), send(proxy.port)]);
  for (const r of results) assert.equal(r.status, 200);
  const ep = proxy.sy.stats().endpoints.find((e) => e.name === 'selfsigned')!;
  assert.equal(ep.lastError?.cause, 'UPSTREAM_TLS');
  assert.equal(ep.state, 'open', 'a certificate error ejects at once');
});

test('a stall before headers hits the first-byte deadline, fails over, and 504s when every attempt timed out', async () => {
  const slow = await startUpstream(stall());
  const good = await startUpstream(okJson('good'));
  const proxy = await startProxy(
    [
      { name: 'slow', baseUrl: slow.url },
      { name: 'good', baseUrl: good.url },
    ],
    { timeouts: { firstByteMs: 200, streamFirstByteMs: 200 } },
  );
  const results = await Promise.all([send(proxy.port), send(proxy.port)]);
  for (const r of results) assert.equal(r.status, 200);
  assert.equal(proxy.sy.stats().endpoints.find((e) => e.name === 'slow')!.lastError?.cause, 'UPSTREAM_TIMEOUT');

  const slow2 = await startUpstream(stall());
  const allSlow = await startProxy(
    [
      { name: 's1', baseUrl: slow.url },
      { name: 's2', baseUrl: slow2.url },
    ],
    { timeouts: { firstByteMs: 150, streamFirstByteMs: 150 }, retry: { maxAttempts: 2 } },
  );
  const started = Date.now();
  const r = await send(allSlow.port);
  assert.equal(r.status, 504);
  assert.ok(Date.now() - started < 2000, 'bounded by the per-attempt deadlines');
  const attempts = r.json().switchyard.attempts as { cause: string }[];
  assert.deepEqual(
    attempts.map((a) => a.cause),
    ['UPSTREAM_TIMEOUT', 'UPSTREAM_TIMEOUT'],
  );
});

test('a client that leaves while the upstream connection is still being set up is let go at once', async () => {
  const silent = net.createServer(() => undefined);
  closers.push(() => silent.close());
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  const proxy = await startProxy([{ name: 'silent', baseUrl: `https://127.0.0.1:${port}` }], { timeouts: { connectMs: 5000 } });
  const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/v1/messages', headers: { 'content-type': 'application/json' } });
  req.on('error', () => undefined);
  req.end('{"model":"m"}');
  await delay(100);
  const abortedAt = Date.now();
  req.destroy();
  while (proxy.sy.stats().requests.inFlight > 0 && Date.now() - abortedAt < 1000) await delay(10);
  assert.equal(proxy.sy.stats().requests.inFlight, 0, 'released well before the 5 s connect timeout');
  assert.equal(proxy.sy.stats().endpoints[0].inFlight, 0);
});
