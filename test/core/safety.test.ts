// Safety: keys never reach logs, stats or errors; DNS-rebinding and cross-origin requests are refused; the optional client key.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAllUpstreams, okJson, startUpstream, status } from './support/upstream';
import { send, startProxy, stopAllProxies } from './support/proxy';
import { Logger } from '../../src/core/log';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

// Built at run time so no key-shaped literal sits in the source.
const KEY_A = ['sk', 'ant', 'test', 'SECRET', 'aaaaaaaaaaaaaaaa', 'a1b2'].join('-');
const KEY_B = ['sk', 'ant', 'test', 'SECRET', 'bbbbbbbbbbbbbbbb', 'c3d4'].join('-');

test('a known key string never appears in the log file, the stderr log, the stats or an error body', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-secrets-'));
  const logFile = path.join(dir, 'requests.log');
  // The upstream is rude enough to echo the key it got back in its error message.
  const up = await startUpstream((req, res, rec) => {
    const key = String(req.headers['x-api-key']);
    if (key === KEY_A) status(401, {}, { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${key}` } })(req, res, rec);
    else if (key === KEY_B) status(503, {}, { type: 'error', error: { type: 'api_error', message: `overloaded for key ${key}` } })(req, res, rec);
    else okJson('up')(req, res, rec);
  });
  const lines: string[] = [];
  const logger: Logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: [KEY_A, KEY_B] }], { logFile }, { logger, writeRequestLog: true });
  const bodies: string[] = [];
  for (let i = 0; i < 3; i++) bodies.push((await send(proxy.port, { headers: { authorization: `Bearer ${KEY_A}` } })).text);
  const statsText = await fetch(`${proxy.url}/_switchyard/stats`).then((r) => r.text());
  await proxy.close();
  const logText = fs.readFileSync(logFile, 'utf8');
  assert.ok(logText.split('\n').filter(Boolean).length >= 3, 'one JSON line per request');
  const record = JSON.parse(logText.split('\n')[0]);
  for (const field of ['id', 'cluster', 'endpoint', 'key', 'attempts', 'status', 'ttfbMs', 'durationMs', 'bytesIn', 'bytesOut']) assert.ok(field in record, field);
  for (const [where, text] of [
    ['log file', logText],
    ['stderr log', lines.join('\n')],
    ['stats', statsText],
    ['error bodies', bodies.join('\n')],
  ]) {
    assert.ok(!text.includes(KEY_A) && !text.includes(KEY_B), `a key leaked into the ${where}`);
  }
  assert.match(statsText, /…a1b2/);
  assert.match(logText, /…c3d4/);
  assert.equal((fs.statSync(logFile).mode & 0o777).toString(8), '600');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the request log rotates by size', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-rotate-'));
  const logFile = path.join(dir, 'requests.log');
  const up = await startUpstream(okJson('up'));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], { log: { file: logFile, maxBytes: 2048, keepFiles: 2 } }, { writeRequestLog: true });
  for (let i = 0; i < 20; i++) await send(proxy.port);
  await proxy.close();
  assert.ok(fs.existsSync(`${logFile}.1`), 'rotated once');
  assert.ok(!fs.existsSync(`${logFile}.3`), 'keeps only keepFiles');
  // The last rotation may have left no current file when no line came after it.
  assert.ok(!fs.existsSync(logFile) || fs.statSync(logFile).size < 4096);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a non-loopback Host header (DNS rebinding) is refused with 403 and a message', async () => {
  const up = await startUpstream(okJson('up'));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
  const r = await send(proxy.port, { headers: { host: 'evil.example.com' } });
  assert.equal(r.status, 403);
  assert.match(r.json().error.message, /not a loopback name/);
  assert.equal(up.requests.length, 0);
  for (const host of ['localhost', `127.0.0.1:${proxy.port}`, `localhost:${proxy.port}`, `[::1]:${proxy.port}`]) {
    assert.equal((await send(proxy.port, { headers: { host } })).status, 200, host);
  }
});

test('a cross-origin browser request is refused unless its origin is allowed', async () => {
  const up = await startUpstream(okJson('up'));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], { allowedOrigins: ['http://localhost:3000'] });
  const r = await send(proxy.port, { headers: { origin: 'https://evil.example.com' } });
  assert.equal(r.status, 403);
  assert.match(r.json().error.message, /cross-origin/);
  assert.equal((await send(proxy.port, { headers: { 'sec-fetch-site': 'cross-site' } })).status, 403);
  assert.equal((await send(proxy.port, { headers: { origin: 'http://localhost:3000' } })).status, 200);
  assert.equal(up.requests.length, 1);
});

test('an optional client key is required when configured and never forwarded upstream', async () => {
  const up = await startUpstream(okJson('up'));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-test-upstream-0001'] }], { clientKey: 'local-client-key-123456' });
  assert.equal((await send(proxy.port)).status, 401);
  const ok = await send(proxy.port, { headers: { 'x-switchyard-key': 'local-client-key-123456' } });
  assert.equal(ok.status, 200);
  assert.equal(up.requests[0].headers['x-switchyard-key'], undefined);
  assert.equal(up.requests[0].headers['x-api-key'], 'sk-test-upstream-0001');
  // Stats need the key; health (identity only) does not, so another window or `serve` can tell who holds the port.
  assert.equal((await send(proxy.port, { method: 'GET', path: '/_switchyard/stats' })).status, 401);
  const health = await send(proxy.port, { method: 'GET', path: '/_switchyard/health' });
  assert.equal(health.status, 200);
  assert.equal(health.json().service, 'switchyard');
  const { whoHoldsPort } = await import('../../src/core/portOwner');
  assert.equal((await whoHoldsPort('127.0.0.1', proxy.port)).kind, 'switchyard');
});

test('the DNS-rebinding guard also holds when bound to ::1', async () => {
  const { checkRequest } = await import('../../src/core/guard');
  assert.equal(checkRequest({ host: 'evil.example.com:7860' }, '::1', [], undefined)?.code, 'FORBIDDEN_HOST');
  assert.equal(checkRequest({ host: '[::1]:7860' }, '::1', [], undefined), undefined);
});
