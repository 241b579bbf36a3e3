// The real Codex CLI, Claude Code CLI and openai SDK against the fake upstreams directly (no proxy): the support modules work and the client facts the proxy relies on hold.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import OpenAI from 'openai';
import { anthropicStream, closeAllUpstreams, startUpstream, type RecordedRequest } from '../core/support/upstream';
import { fakeResponses } from './support/fakeResponses';
import { CODEX_BIN, codexConversation, makeCodexHome, runCodex, type CodexHome } from './support/codex';
import { CLAUDE_BIN, claudeConversation, makeClaudeHome, type ClaudeHome } from './support/claudeCode';

const homes: (CodexHome | ClaudeHome)[] = [];
after(async () => {
  await closeAllUpstreams();
  for (const h of homes) h.remove();
});

const posts = (reqs: RecordedRequest[]) => reqs.filter((r) => r.method === 'POST' && r.url === '/v1/responses');
const upgrades = (reqs: RecordedRequest[]) => reqs.filter((r) => r.headers.upgrade === 'websocket');

function codexHome(...args: Parameters<typeof makeCodexHome>): CodexHome {
  assert.ok(fs.existsSync(CODEX_BIN), `Codex CLI not installed at ${CODEX_BIN}; run scripts/codex/setup.sh`);
  const home = makeCodexHome(...args);
  homes.push(home);
  return home;
}

test('openai SDK parses the fake Responses stream strictly and its JSON form', async () => {
  const up = await startUpstream(fakeResponses({ usage: { input: 30, cached: 12, output: 4 } }));
  const client = new OpenAI({ apiKey: 'sk-sdk-client-0001', baseURL: `${up.url}/v1`, maxRetries: 0 });
  const streamed = await client.responses.stream({ model: 'gpt-test', input: 'hi' }).finalResponse();
  assert.equal(streamed.status, 'completed');
  assert.equal(streamed.output_text, 'Hello from the fake');
  assert.equal(streamed.usage?.input_tokens_details.cached_tokens, 12);
  const json = await client.responses.create({ model: 'gpt-test', input: 'hi' });
  assert.equal(json.output_text, 'Hello from the fake');
  const events = await client.responses.create({ model: 'gpt-test', input: 'hi', stream: true });
  const seen: number[] = [];
  for await (const e of events) seen.push(e.sequence_number);
  assert.deepEqual(seen, [...seen.keys()], 'sequence numbers run 0, 1, 2, …');
});

test('codex exec, custom provider: one conversation over three processes keeps its ids and resends the whole input', { timeout: 120_000 }, async () => {
  const up = await startUpstream(fakeResponses({ toolCallMarker: 'usetool' }));
  const conv = codexConversation(codexHome({ baseUrl: up.url, apiKey: 'sk-codex-e2e-0001' }));
  for (const prompt of ['first', 'second, usetool', 'third']) {
    const run = await conv.turn(prompt);
    assert.equal(run.code, 0, run.stderr.slice(-800));
    assert.equal(run.reply, 'Hello from the fake');
  }
  const reqs = posts(up.requests);
  assert.equal(reqs.length, 4, 'three turns, the second with a tool call and its follow-up');
  assert.equal(upgrades(up.requests).length, 0, 'a custom provider does not try a WebSocket');
  const id = conv.threadId();
  const bodies = reqs.map((r) => JSON.parse(r.body) as { input: unknown[]; prompt_cache_key: string; previous_response_id?: string; store: boolean });
  for (const [i, r] of reqs.entries()) {
    assert.equal(r.headers.authorization, 'Bearer sk-codex-e2e-0001');
    assert.equal(r.headers['session-id'], id);
    assert.equal(r.headers['thread-id'], id);
    assert.equal(bodies[i].prompt_cache_key, id);
    assert.equal(bodies[i].store, false);
    assert.equal(bodies[i].previous_response_id, undefined);
  }
  for (let i = 1; i < bodies.length; i++) {
    assert.deepEqual(bodies[i].input.slice(0, bodies[i - 1].input.length), bodies[i - 1].input, `request ${i} resends request ${i - 1}'s input as its prefix`);
  }
});

test('codex exec, built-in provider: one WebSocket attempt answered 426 falls back to HTTP for every request of the process', { timeout: 60_000 }, async () => {
  const up = await startUpstream(fakeResponses({ toolCallMarker: 'usetool', websocket: 'unsupported' }));
  const run = await runCodex(codexHome({ baseUrl: up.url, setup: 'builtin', apiKey: 'sk-codex-e2e-0002' }), 'usetool');
  assert.equal(run.code, 0, run.stderr.slice(-800));
  const [upgrade] = upgrades(up.requests);
  assert.equal(upgrades(up.requests).length, 1);
  assert.equal(upgrade.method, 'GET');
  assert.equal(upgrade.url, '/v1/responses');
  assert.equal(upgrade.headers['openai-beta'], 'responses_websockets=2026-02-06');
  assert.equal(upgrade.headers.authorization, 'Bearer sk-codex-e2e-0002');
  assert.equal(posts(up.requests).length, 2);
});

test('codex exec retries a response.failed server_error but not context_length_exceeded', { timeout: 60_000 }, async () => {
  const flaky = await startUpstream(fakeResponses({ ending: (n) => (n === 0 ? { failed: 'server_error' } : 'completed') }));
  const ok = await runCodex(codexHome({ baseUrl: flaky.url }), 'hi');
  assert.equal(ok.code, 0, ok.stderr.slice(-800));
  assert.equal(posts(flaky.requests).length, 2);
  const full = await startUpstream(fakeResponses({ ending: { failed: 'context_length_exceeded' } }));
  const failed = await runCodex(codexHome({ baseUrl: full.url }), 'hi');
  assert.equal(failed.code, 1);
  assert.equal(posts(full.requests).length, 1);
});

test('codex exec, built-in provider: compaction is a POST /v1/responses ending in compaction_trigger; the next request carries the encrypted item', { timeout: 60_000 }, async () => {
  const up = await startUpstream(fakeResponses({ usage: { input: 50_000, cached: 0 } }));
  const home = codexHome({ baseUrl: up.url, setup: 'builtin' });
  const args = ['-c', 'model_auto_compact_token_limit=1000'];
  const first = await runCodex(home, 'first', { args });
  const second = await runCodex(home, 'second', { args, resume: first.threadId });
  assert.equal(second.code, 0, second.stderr.slice(-800));
  const bodies = posts(up.requests).map((r) => JSON.parse(r.body) as { input: { type: string; encrypted_content?: string }[] });
  assert.equal(bodies.length, 3, 'turn, compaction, turn');
  assert.deepEqual(bodies[1].input.at(-1), { type: 'compaction_trigger' });
  assert.ok(bodies[2].input.some((i) => i.type === 'compaction' && i.encrypted_content?.startsWith('fake-compaction-')));
  assert.equal(up.requests.filter((r) => r.url.includes('/compact')).length, 0, 'no /responses/compact');
});

test('claude -p, then --resume: one session id in header and metadata across processes', { timeout: 90_000 }, async () => {
  assert.ok(fs.existsSync(CLAUDE_BIN), `Claude Code CLI not installed at ${CLAUDE_BIN}; run scripts/claude-code/setup.sh`);
  const up = await startUpstream(anthropicStream(0));
  const home = makeClaudeHome({ baseUrl: up.url, apiKey: 'sk-ant-e2e-0003' });
  homes.push(home);
  const conv = claudeConversation(home);
  for (const prompt of ['first', 'second']) {
    const run = await conv.turn(prompt);
    assert.equal(run.code, 0, run.stderr.slice(-800));
    assert.equal(run.result?.is_error, false);
  }
  const reqs = up.requests.filter((r) => r.url.startsWith('/v1/messages'));
  assert.deepEqual(
    up.requests.map((r) => `${r.method} ${r.url}`),
    ['POST /v1/messages?beta=true', 'POST /v1/messages?beta=true'],
    'no other calls with non-essential traffic off',
  );
  const sid = conv.sessionId();
  for (const r of reqs) {
    assert.equal(r.headers['x-claude-code-session-id'], sid);
    assert.equal(r.headers['x-api-key'], 'sk-ant-e2e-0003');
    const body = JSON.parse(r.body) as { metadata: { user_id: string } };
    assert.equal((JSON.parse(body.metadata.user_id) as { session_id: string }).session_id, sid);
  }
  const [first, second] = reqs.map((r) => (JSON.parse(r.body) as { messages: unknown[] }).messages.length);
  assert.equal(second, first + 2, 'the second turn carries the first turn and its answer');
});
