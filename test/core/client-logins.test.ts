// Subscription logins (Claude, ChatGPT) sent through the proxy are named once in the log, counted in stats and found by diagnostics.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkClientLogins } from '../../src/diagnostics/loginCheck';
import { Deadline } from '../../src/diagnostics/check';
import { closeAllUpstreams, okJson, startUpstream } from './support/upstream';
import { send, startProxy, stopAllProxies } from './support/proxy';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

const OAUTH = ['sk-ant-oat01', 'abcdefghijklmnopqrstuvwxyz0123456789'].join('-');
const CHATGPT_JWT = ['eyJhbGciOiJSUzI1NiJ9', 'eyJzdWIiOiJ1c2VyLTEyMyJ9', 'c2lnbmF0dXJl'].join('.');

test('a Claude subscription token is named once in the log, counted in stats, and never shown', async () => {
  const up = await startUpstream(okJson('up'));
  const lines: string[] = [];
  const log = (m: string) => lines.push(m);
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-ant-api03-endpoint-key-0001'] }], {}, { logger: { debug: log, info: log, warn: log, error: log } });
  for (let i = 0; i < 3; i++) await send(proxy.port, { headers: { authorization: `Bearer ${OAUTH}`, 'x-api-key': '' } });
  const logins = proxy.sy.stats().logins ?? [];
  assert.equal(logins.length, 1);
  assert.equal(logins[0].count, 3);
  assert.match(logins[0].message, /Claude subscription/);
  const warnings = lines.filter((l) => l.startsWith('[client]'));
  assert.equal(warnings.length, 1, 'said once, not per request');
  assert.match(warnings[0], /replaced it with the endpoint's key …0001/);
  assert.ok(!JSON.stringify({ lines, stats: proxy.sy.stats() }).includes(OAUTH));
  const checks = await checkClientLogins({ host: '127.0.0.1', port: proxy.port, switchyard: proxy.sy, proxyMs: 1000, deadline: Deadline.in(2000) });
  assert.deepEqual(checks.map((c) => c.cause), ['SUBSCRIPTION_LOGIN']);
});

test('Codex signed in with ChatGPT (an account id header) is recognised, and diagnostics find it over HTTP too', async () => {
  const up = await startUpstream(okJson('up'));
  const proxy = await startProxy([{ name: 'relay', baseUrl: up.url }], {}, {}, 'openai');
  await send(proxy.port, { path: '/v1/responses', headers: { authorization: `Bearer ${CHATGPT_JWT}`, 'chatgpt-account-id': 'acct-123', 'x-api-key': '' }, body: { model: 'gpt-test', input: 'hi' } });
  const logins = proxy.sy.stats().logins ?? [];
  assert.equal(logins.length, 1);
  assert.match(logins[0].message, /ChatGPT/);
  const remote = await checkClientLogins({ host: '127.0.0.1', port: proxy.port, proxyMs: 1000, deadline: Deadline.in(2000) });
  assert.equal(remote.length, 1);
  assert.ok(!JSON.stringify(remote).includes(CHATGPT_JWT));
});

test('an API key is not a subscription login', async () => {
  const up = await startUpstream(okJson('up'));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
  await send(proxy.port);
  await send(proxy.port, { headers: { authorization: 'Bearer relay-token-not-oauth', 'x-api-key': '' } });
  assert.equal(proxy.sy.stats().logins, undefined);
});
