// Conversation affinity through real upstreams: each signal keeps a conversation on one target, new ones spread by weight, health moves them once.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Handler, TestUpstream } from './support/upstream';
import { anthropicStream, closeAllUpstreams, okJson, startUpstream, status } from './support/upstream';
import { send, startProxy, stopAllProxies } from './support/proxy';
import { responsesEvents, streamHandler } from './support/wire';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

/** An upstream that can be switched between healthy and a fault, and says who served (by the key it got). */
async function switchable(name: string): Promise<TestUpstream & { fail(h: Handler | undefined): void }> {
  let fault: Handler | undefined;
  const up = await startUpstream((req, res, rec) => (fault ?? okJson(name))(req, res, rec));
  return Object.assign(up, { fail: (h: Handler | undefined) => (fault = h) });
}

/** Endpoint a with two keys, b and c with one each: four targets. */
async function fourTargets(overrides: Record<string, unknown> = {}, protocol: 'anthropic' | 'openai' = 'anthropic') {
  const a = await switchable('a');
  const b = await switchable('b');
  const c = await switchable('c');
  const proxy = await startProxy(
    [
      { name: 'a', baseUrl: a.url, keys: ['sk-aff-a-key-0001', 'sk-aff-a-key-0002'], weight: 2 },
      { name: 'b', baseUrl: b.url, keys: ['sk-aff-b-key-0003'] },
      { name: 'c', baseUrl: c.url, keys: ['sk-aff-c-key-0004'] },
    ],
    overrides,
    {},
    protocol,
  );
  return { a, b, c, proxy };
}

/** The target a response came from: `endpoint key-suffix` (the key from the last request that endpoint's upstream saw). */
function target(r: { headers: Record<string, unknown> }, ups: TestUpstream[]): string {
  const endpoint = String(r.headers['x-switchyard-endpoint']);
  const up = ups[['a', 'b', 'c'].indexOf(endpoint)];
  const last = up.requests[up.requests.length - 1];
  return `${endpoint} ${String(last.headers['x-api-key'] ?? last.headers.authorization).slice(-4)}`;
}

type Turn = (i: number) => { body: Record<string, unknown>; headers?: Record<string, string>; path?: string };

/** A request of a conversation of its own, for the path given. */
function noise(path = '/v1/messages'): { path: string; body: Record<string, unknown> } {
  const text = `noise ${Math.random()}`;
  if (path.includes('responses')) return { path, body: { model: 'gpt-test', input: text } };
  return { path, body: { model: 'x-test', max_tokens: 8, messages: [{ role: 'user', content: text }] } };
}

/** Six turns of one conversation, each after `between()`: where each turn was served, and its affinity header. */
async function conversation(setup: Awaited<ReturnType<typeof fourTargets>>, turn: Turn, between: () => Promise<unknown> = async () => undefined): Promise<{ targets: string[]; affinity: string[] }> {
  const targets: string[] = [];
  const affinity: string[] = [];
  for (let i = 0; i < 6; i++) {
    await between();
    const t = turn(i);
    const r = await send(setup.proxy.port, { path: t.path, body: t.body, headers: t.headers });
    assert.equal(r.status, 200, r.text);
    targets.push(target(r, [setup.a, setup.b, setup.c]));
    affinity.push(String(r.headers['x-switchyard-affinity']));
  }
  return { targets, affinity };
}

/** A growing Anthropic conversation; the history is resent each turn, as clients do. */
function messages(i: number, first = 'the first question'): unknown[] {
  const out: unknown[] = [{ role: 'user', content: first }];
  for (let k = 1; k <= i; k++) out.push({ role: 'assistant', content: `answer ${k}` }, { role: 'user', content: `follow-up ${k}` });
  return out;
}

const SESSION = '0b5e6f3c-2d1a-4f7e-9c8b-1a2b3c4d5e6f';

describe('a conversation stays on one target, by each signal', () => {
  const signals: [string, Turn, 'anthropic' | 'openai'][] = [
    ['Claude Code\'s X-Claude-Code-Session-Id header', (i) => ({ body: { model: 'claude-test', max_tokens: 8, messages: messages(i, `q ${Math.random()}`) }, headers: { 'x-claude-code-session-id': SESSION } }), 'anthropic'],
    ['metadata.user_id as JSON with session_id (Claude Code ≥ 2.1.78)', (i) => ({ body: { model: 'claude-test', max_tokens: 8, messages: messages(i, `q ${Math.random()}`), metadata: { user_id: JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: '', session_id: SESSION }) } } }), 'anthropic'],
    ['metadata.user_id in the older user_…_session_<uuid> form', (i) => ({ body: { model: 'claude-test', max_tokens: 8, messages: messages(i, `q ${Math.random()}`), metadata: { user_id: `user_${'a'.repeat(64)}_account__session_${SESSION}` } } }), 'anthropic'],
    [
      'no signal: the opening (system + first message), even when the client resends it as text blocks',
      (i) => ({ body: { model: 'claude-test', max_tokens: 8, system: 'You are terse.', messages: [{ role: 'user', content: i % 2 ? [{ type: 'text', text: 'the first question', cache_control: { type: 'ephemeral' } }] : 'the first question' }, ...messages(i).slice(1)] } }),
      'anthropic',
    ],
    ['Codex\'s thread-id header', (i) => ({ path: '/v1/responses', body: { model: 'gpt-test', input: `turn ${i} ${Math.random()}` }, headers: { 'thread-id': SESSION, 'session-id': SESSION } }), 'openai'],
    ['prompt_cache_key (Responses)', (i) => ({ path: '/v1/responses', body: { model: 'gpt-test', prompt_cache_key: SESSION, input: `turn ${i} ${Math.random()}` } }), 'openai'],
    ['prompt_cache_key (Chat)', (i) => ({ path: '/v1/chat/completions', body: { model: 'gpt-test', prompt_cache_key: SESSION, messages: [{ role: 'user', content: `turn ${i} ${Math.random()}` }] } }), 'openai'],
    ['user (Chat)', (i) => ({ path: '/v1/chat/completions', body: { model: 'gpt-test', user: 'someone@example.com', messages: [{ role: 'user', content: `turn ${i} ${Math.random()}` }] } }), 'openai'],
  ];
  for (const [name, turn, protocol] of signals) {
    test(name, async () => {
      const setup = await fourTargets({}, protocol);
      // Other traffic in between moves the round robin along, so a pin is all that keeps the conversation in place.
      const { targets, affinity } = await conversation(setup, turn, () => send(setup.proxy.port, noise(turn(0).path)));
      assert.deepEqual(new Set(targets).size, 1, `turns went to ${targets.join(', ')}`);
      assert.deepEqual(affinity, ['new', 'hit', 'hit', 'hit', 'hit', 'hit']);
    });
  }
});

test('new conversations spread over the endpoints by weight', async () => {
  const setup = await fourTargets();
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 200; i++) {
    const r = await send(setup.proxy.port, { body: { model: 'claude-test', max_tokens: 8, messages: [{ role: 'user', content: `conversation ${i}` }] } });
    counts[String(r.headers['x-switchyard-endpoint'])]++;
  }
  // Weights 2:1:1 — smooth weighted round robin gives exactly that over new conversations.
  assert.deepEqual(counts, { a: 100, b: 50, c: 50 });
  const stats = setup.proxy.sy.stats();
  assert.deepEqual(stats.endpoints.map((e) => e.conversations), [100, 50, 50]);
  assert.deepEqual(stats.endpoints[0].keys.map((k) => k.conversations), [50, 50], 'endpoint a\'s two keys share its conversations');
});

describe('health moves a conversation once, and it stays where it was served', () => {
  const turn = (i: number) => ({ body: { model: 'claude-test', max_tokens: 8, messages: messages(i) }, headers: { 'x-claude-code-session-id': SESSION } });

  async function pinned() {
    const setup = await fourTargets();
    const first = await send(setup.proxy.port, turn(0));
    const endpoint = String(first.headers['x-switchyard-endpoint']);
    const up = { a: setup.a, b: setup.b, c: setup.c }[endpoint as 'a' | 'b' | 'c'];
    return { ...setup, up, start: target(first, [setup.a, setup.b, setup.c]) };
  }

  test('a 503 on the pinned target moves the conversation once; after it recovers the conversation does not bounce back', async () => {
    const s = await pinned();
    s.up.fail(status(503));
    const moved = await send(s.proxy.port, turn(1));
    s.up.fail(undefined);
    assert.equal(moved.status, 200);
    assert.equal(moved.headers['x-switchyard-affinity'], 'moved');
    const now = target(moved, [s.a, s.b, s.c]);
    assert.notEqual(now.split(' ')[0], s.start.split(' ')[0]);
    for (let i = 2; i < 6; i++) {
      const r = await send(s.proxy.port, turn(i));
      assert.equal(target(r, [s.a, s.b, s.c]), now);
      assert.equal(r.headers['x-switchyard-affinity'], 'hit');
    }
  });

  test('a 429 on the pinned key moves the conversation to another key, and it stays there', async () => {
    const s = await pinned();
    s.up.fail(status(429, { 'retry-after': '60' }, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
    const moved = await send(s.proxy.port, turn(1));
    s.up.fail(undefined);
    const now = target(moved, [s.a, s.b, s.c]);
    assert.notEqual(now, s.start);
    for (let i = 2; i < 5; i++) assert.equal(target(await send(s.proxy.port, turn(i)), [s.a, s.b, s.c]), now);
  });

  test('an invalid key is never kept for stickiness', async () => {
    const s = await pinned();
    s.up.fail(status(401, {}, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }));
    const moved = await send(s.proxy.port, turn(1));
    const now = target(moved, [s.a, s.b, s.c]);
    assert.notEqual(now, s.start);
    for (let i = 2; i < 5; i++) {
      const r = await send(s.proxy.port, turn(i));
      assert.equal(r.status, 200);
      assert.equal(target(r, [s.a, s.b, s.c]), now, 'never back to the rejected key');
    }
  });

  test('pins survive a config reload for the targets that still exist', async () => {
    const s = await pinned();
    s.proxy.sy.applyConfig({ ...s.proxy.sy.config, retry: { ...s.proxy.sy.config.retry, maxAttempts: 2 } });
    const r = await send(s.proxy.port, turn(1));
    assert.equal(r.headers['x-switchyard-affinity'], 'hit');
    assert.equal(target(r, [s.a, s.b, s.c]), s.start);
  });
});

test('affinity: false on a cluster turns it off: no pin, no header', async () => {
  const setup = await fourTargets();
  setup.proxy.sy.applyConfig({ ...setup.proxy.sy.config, clusters: setup.proxy.sy.config.clusters.map((c) => ({ ...c, affinity: false })) });
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const r = await send(setup.proxy.port, { body: { model: 'claude-test', max_tokens: 8, messages: messages(i) }, headers: { 'x-claude-code-session-id': SESSION } });
    assert.equal(r.headers['x-switchyard-affinity'], undefined);
    seen.add(String(r.headers['x-switchyard-endpoint']));
  }
  assert.ok(seen.size > 1, 'spread by the strategy');
});

test('a continuation (previous_response_id) reaches the key that made the response, whatever the round robin says', async () => {
  let n = 0;
  const ups = await Promise.all(['a', 'b', 'c'].map(() => startUpstream((req, res, rec) => streamHandler(responsesEvents('hi', `resp_made_${n++}`))(req, res, rec))));
  const proxy = await startProxy(
    ups.map((u, i) => ({ name: ['a', 'b', 'c'][i], baseUrl: u.url, keys: [`sk-cont-key-000${i}`] })),
    {},
    {},
    'openai',
  );
  const first = await send(proxy.port, { path: '/v1/responses', body: { model: 'gpt-test', stream: true, input: 'start', store: true } });
  const maker = String(first.headers['x-switchyard-endpoint']);
  const id = /"id":"(resp_made_\d+)"/.exec(first.text)![1];
  for (let i = 0; i < 4; i++) {
    // Unrelated traffic in between turns the round robin.
    await send(proxy.port, { path: '/v1/responses', body: { model: 'gpt-test', stream: true, input: `other ${i} ${Math.random()}` } });
    const r = await send(proxy.port, { path: '/v1/responses', body: { model: 'gpt-test', stream: true, previous_response_id: id, input: `and then ${i}` } });
    assert.equal(r.headers['x-switchyard-endpoint'], maker);
  }
});

describe('a conversation that must move drops the state bound to its old account, once', () => {
  const thinking = { type: 'thinking', thinking: 'let me think', signature: 'c2lnbmVkLWJ5LWFjY291bnQtYQ==' };
  const turn = (i: number) => ({
    body: { model: 'claude-test', max_tokens: 8, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [thinking, { type: 'text', text: 'a' }] }, { role: 'user', content: `more ${i}` }] },
    headers: { 'x-claude-code-session-id': SESSION },
  });

  test('a rejected key moves it; the new account refuses the thinking signatures; the turn is retried without them and the log says so', async () => {
    const lines: string[] = [];
    const log = (m: string) => lines.push(m);
    const home = await startUpstream(anthropicStream());
    // Another account: accepts requests, but not thinking blocks signed elsewhere.
    const other = await startUpstream((req, res, rec) =>
      rec.body.includes('"signature"') ? status(400, {}, { type: 'error', error: { type: 'invalid_request_error', message: 'messages.1.content.0: Invalid `signature` in `thinking` block' } })(req, res, rec) : anthropicStream()(req, res, rec),
    );
    const proxy = await startProxy(
      [
        { name: 'home', baseUrl: home.url, keys: ['sk-bound-home-0001'], priority: 0 },
        { name: 'other', baseUrl: other.url, keys: ['sk-bound-other-0002'], priority: 1 },
      ],
      { strategy: 'priority' },
      { logger: { debug: log, info: log, warn: log, error: log } },
    );
    assert.equal((await send(proxy.port, turn(0))).headers['x-switchyard-endpoint'], 'home');
    home.setHandler(status(401, {}, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }));
    const moved = await send(proxy.port, turn(1));
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.headers['x-switchyard-endpoint'], 'other');
    const tried = other.requests.map((r) => r.body.includes('"thinking","thinking"'));
    assert.deepEqual(tried, [true, false], 'first with the signed thinking, then once without it');
    assert.ok(JSON.parse(other.requests[1].body).messages[1].content.every((b: { type: string }) => b.type !== 'thinking'));
    assert.ok(lines.some((l) => /\[affinity\] .*moved from home …0001 to other …0002, whose account refused the old account's state/.test(l)), lines.join('\n'));
  });

  test('a turn that was not moved keeps its body: a signature refusal on its own account passes through', async () => {
    const refusing = await startUpstream(status(400, {}, { type: 'error', error: { type: 'invalid_request_error', message: 'Invalid `signature` in `thinking` block' } }));
    const proxy = await startProxy([{ name: 'only', baseUrl: refusing.url, keys: ['sk-bound-only-0003'] }]);
    const r = await send(proxy.port, turn(0));
    assert.equal(r.status, 400);
    assert.equal(refusing.requests.length, 1);
  });
});

describe('when every key is cooling', () => {
  test('the request waits for the earliest cooldown (retry.cooldownWaitMs) and then succeeds', async () => {
    let calls = 0;
    const up = await startUpstream((req, res, rec) => (calls++ === 0 ? status(429, { 'retry-after-ms': '250' }, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }) : okJson('up'))(req, res, rec));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-wait-key-0001'] }], { retry: { cooldownWaitMs: 2000 } });
    const started = Date.now();
    const r = await send(proxy.port);
    assert.equal(r.status, 200);
    assert.ok(Date.now() - started >= 240, 'it waited for the cooldown');
    assert.equal(up.requests.length, 2);
  });

  test('past the deadline (0 = at once) the answer is 429 with the smallest retry-after, as before', async () => {
    const up = await startUpstream(status(429, { 'retry-after': '30' }, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-wait-key-0002'] }], { retry: { cooldownWaitMs: 0 } });
    const r = await send(proxy.port);
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '30');
    assert.equal(up.requests.length, 1);
    const stats = proxy.sy.stats();
    assert.ok((stats.endpoints[0].keys[0].cooldownUntil ?? 0) > Date.now() + 25_000, 'the cooldown is in stats');
  });
});
