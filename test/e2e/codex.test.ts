// The real Codex CLI through Switchyard: a dead, a 503 and a healthy endpoint; the custom provider and the built-in one (WebSocket → 426); Claude Code beside it.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Switchyard } from '../../src/core/switchyard';
import { validateConfig } from '../../src/core/config';
import { anthropicStream, closeAllUpstreams, refusedPort, startUpstream, status, type TestUpstream } from '../core/support/upstream';
import { fakeResponses } from './support/fakeResponses';
import { CODEX_BIN, makeCodexHome, runCodex, type CodexHome, type CodexRun } from './support/codex';
import { CLAUDE_BIN, makeClaudeHome, runClaude, type ClaudeHome } from './support/claudeCode';

const homes: (CodexHome | ClaudeHome)[] = [];
const running: Switchyard[] = [];
after(async () => {
  await Promise.all(running.map((sy) => sy.stop(200)));
  await closeAllUpstreams();
  for (const h of homes) h.remove();
});

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Setup {
  sy: Switchyard;
  url: string;
  healthy: TestUpstream;
  busy: TestUpstream;
  claude: TestUpstream;
}

/** An openai cluster with a refused, a 503 and a healthy endpoint, and an anthropic cluster beside it. */
async function proxyWithFaults(): Promise<Setup> {
  const dead = await refusedPort();
  const busy = await startUpstream(status(503, {}, { error: { message: 'busy', type: 'server_error' } }));
  const healthy = await startUpstream(fakeResponses());
  const claude = await startUpstream(anthropicStream(1));
  const config = validateConfig({
    activeClusters: { openai: 'codex', anthropic: 'claude' },
    clusters: [
      {
        name: 'codex',
        protocol: 'openai',
        endpoints: [
          { name: 'dead', baseUrl: `http://127.0.0.1:${dead}`, keys: ['sk-codex-upstream-dead-01'] },
          { name: 'busy', baseUrl: busy.url, keys: ['sk-codex-upstream-busy-02'] },
          { name: 'healthy', baseUrl: healthy.url, keys: ['sk-codex-upstream-good-03'] },
        ],
      },
      { name: 'claude', protocol: 'anthropic', endpoints: [{ name: 'claude-up', baseUrl: claude.url, keys: ['sk-ant-upstream-0004'] }] },
    ],
    timeouts: { connectMs: 2000, firstByteMs: 20_000, streamFirstByteMs: 20_000, idleMs: 20_000 },
  });
  const sy = new Switchyard({ config, writeRequestLog: false, usageFile: false, env: {} });
  running.push(sy);
  const { url } = await sy.start(0, '127.0.0.1');
  return { sy, url, healthy, busy, claude };
}

function codexHome(...args: Parameters<typeof makeCodexHome>): CodexHome {
  assert.ok(fs.existsSync(CODEX_BIN), `Codex CLI not installed at ${CODEX_BIN}; run scripts/codex/setup.sh`);
  const home = makeCodexHome(...args);
  homes.push(home);
  return home;
}

function assertTurn(run: CodexRun): void {
  assert.equal(run.code, 0, `codex exited ${run.code}: ${run.stderr.slice(-800)}`);
  assert.equal(run.reply, 'Hello from the fake');
}

test('codex exec through a dead, a 503 and a healthy endpoint: every turn succeeds, on both provider set-ups, in about the same time; the healthy endpoint records no failure', { timeout: 180_000 }, async (t) => {
  const s = await proxyWithFaults();
  const custom = codexHome({ baseUrl: s.url, setup: 'custom' });
  const builtin = codexHome({ baseUrl: s.url, setup: 'builtin' });
  // A first run of each home pays Codex's own first-run set-up; the timed turns come after.
  assertTurn(await runCodex(custom, 'warm up'));
  assertTurn(await runCodex(builtin, 'warm up'));
  const times: Record<'custom' | 'builtin', number[]> = { custom: [], builtin: [] };
  for (let i = 0; i < 3; i++) {
    for (const [name, home] of [['custom', custom], ['builtin', builtin]] as const) {
      const run = await runCodex(home, `turn ${i}`);
      assertTurn(run);
      times[name].push(run.ms);
    }
  }
  const stats = s.sy.stats();
  const healthy = stats.endpoints.find((e) => e.name === 'healthy')!;
  assert.equal(healthy.state, 'healthy');
  assert.equal(healthy.failures, 0);
  assert.ok(healthy.requests >= 8, `the healthy endpoint served every turn (${healthy.requests})`);
  assert.ok(s.healthy.requests.every((r) => r.headers.authorization === 'Bearer sk-codex-upstream-good-03'), 'the endpoint\'s own key replaced Codex\'s');
  assert.ok(!s.healthy.requests.some((r) => r.headers.upgrade), 'no upgrade reached an upstream');
  // The built-in provider's WebSocket prewarm got 426 and fell back at once: no 6-second retry ladder.
  const [c, b] = [median(times.custom), median(times.builtin)];
  t.diagnostic(`turn times, median of 3: custom provider ${c} ms, built-in provider (WebSocket → 426 → HTTP) ${b} ms`);
  assert.ok(b < c + 1500, `built-in provider turns (median ${b} ms) within a small margin of the custom provider's (${c} ms); times ${JSON.stringify(times)}`);
});

test('Claude Code and Codex through one proxy at the same time, each reaching its own family\'s cluster', { timeout: 120_000 }, async () => {
  assert.ok(fs.existsSync(CLAUDE_BIN), `Claude Code CLI not installed at ${CLAUDE_BIN}; run scripts/claude-code/setup.sh`);
  const s = await proxyWithFaults();
  const claudeHome = makeClaudeHome({ baseUrl: s.url });
  homes.push(claudeHome);
  const codex = codexHome({ baseUrl: s.url, setup: 'custom' });
  const [claude, codexRun] = await Promise.all([runClaude(claudeHome, 'say hi'), runCodex(codex, 'say hi')]);
  assert.equal(claude.code, 0, claude.stderr.slice(-800));
  assert.equal(claude.result?.is_error, false, claude.stdout.slice(0, 500));
  assert.match(claude.result?.result ?? '', /Hello/);
  assertTurn(codexRun);
  assert.ok(s.claude.requests.some((r) => r.url.startsWith('/v1/messages')), 'Claude Code reached the anthropic cluster');
  assert.ok(!s.claude.requests.some((r) => r.url.includes('/responses')), 'no Codex request reached the anthropic cluster');
  assert.ok(!s.healthy.requests.some((r) => r.url.startsWith('/v1/messages')), 'no Claude Code request reached the openai cluster');
  assert.ok(s.healthy.requests.some((r) => r.url === '/v1/responses'));
});

test('several turns of one conversation with the real clients stay on one target, by the signal each sends', { timeout: 180_000 }, async () => {
  assert.ok(fs.existsSync(CLAUDE_BIN), `Claude Code CLI not installed at ${CLAUDE_BIN}; run scripts/claude-code/setup.sh`);
  const openaiUps = await Promise.all([0, 1, 2].map(() => startUpstream(fakeResponses())));
  const anthropicUps = await Promise.all([0, 1, 2].map(() => startUpstream(anthropicStream(1))));
  const config = validateConfig({
    clusters: [
      { name: 'codex', protocol: 'openai', endpoints: openaiUps.map((u, i) => ({ name: `o${i}`, baseUrl: u.url, keys: [`sk-codex-aff-000${i}`, `sk-codex-aff-100${i}`] })) },
      { name: 'claude', protocol: 'anthropic', endpoints: anthropicUps.map((u, i) => ({ name: `c${i}`, baseUrl: u.url, keys: [`sk-ant-aff-000${i}`, `sk-ant-aff-100${i}`] })) },
    ],
    timeouts: { streamFirstByteMs: 20_000, firstByteMs: 20_000, idleMs: 20_000 },
  });
  const sy = new Switchyard({ config, writeRequestLog: false, usageFile: false, env: {} });
  running.push(sy);
  const { url } = await sy.start(0, '127.0.0.1');
  const records: { api: string; endpoint: string | null; key: string | null; conversation?: string; affinity?: string }[] = [];
  sy.onRequest((r) => records.push(r));
  const { codexConversation } = await import('./support/codex');
  const { claudeConversation } = await import('./support/claudeCode');
  const codex = codexConversation(codexHome({ baseUrl: url, setup: 'custom' }));
  const claudeHome = makeClaudeHome({ baseUrl: url });
  homes.push(claudeHome);
  const claude = claudeConversation(claudeHome);
  for (let i = 0; i < 3; i++) {
    assertTurn(await codex.turn(`turn ${i}`));
    const c = await claude.turn(`turn ${i}`);
    assert.equal(c.code, 0, c.stderr.slice(-800));
    assert.equal(c.result?.is_error, false, c.stdout.slice(0, 400));
  }
  for (const [api, signal] of [['openai-responses', 'codex thread-id'], ['anthropic-messages', 'x-claude-code-session-id']] as const) {
    const turns = records.filter((r) => r.api === api);
    assert.ok(turns.length >= 3, `${api}: ${turns.length} requests`);
    assert.deepEqual([...new Set(turns.map((r) => r.conversation))], [signal], `${api} was recognised by ${signal}`);
    assert.equal(new Set(turns.map((r) => `${r.endpoint} ${r.key}`)).size, 1, `${api}: every turn on one target: ${turns.map((r) => `${r.endpoint} ${r.key}`).join(', ')}`);
    assert.deepEqual(turns.map((r) => r.affinity), ['new', ...turns.slice(1).map(() => 'hit')]);
  }
});
