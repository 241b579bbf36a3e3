// The real Claude Code CLI pointed at a headless Switchyard whose first endpoint is overloaded and whose second is healthy.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { anthropicStream, closeAllUpstreams, okJson, startUpstream, status } from '../core/support/upstream';
import { startProxy, stopAllProxies } from '../core/support/proxy';

const CLAUDE = path.join(process.env.SWITCHYARD_CLAUDE_CODE_DIR ?? path.join(os.homedir(), '.cache', 'switchyard-claude-code'), 'node_modules', '.bin', 'claude');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-claude-home-'));

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
  fs.rmSync(home, { recursive: true, force: true });
});

function runClaude(baseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      CLAUDE,
      ['-p', 'say hi', '--output-format', 'json'],
      {
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          ANTHROPIC_BASE_URL: baseUrl,
          ANTHROPIC_API_KEY: 'client-placeholder-key-0000',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_TELEMETRY: '1',
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

test('claude -p through Switchyard: the 529 on the first endpoint is absorbed and the answer arrives', { timeout: 90_000 }, async () => {
  assert.ok(fs.existsSync(CLAUDE), `Claude Code CLI not installed at ${CLAUDE}; run scripts/claude-code/setup.sh`);
  const overloaded = await startUpstream(status(529, {}, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
  const healthy = await startUpstream((req, res, rec) => {
    if (req.url?.startsWith('/v1/messages') && req.method === 'POST') anthropicStream(1)(req, res, rec);
    else okJson('healthy')(req, res, rec);
  });
  const proxy = await startProxy(
    [
      { name: 'overloaded', baseUrl: overloaded.url, keys: ['sk-ant-test-e2e-0001'], priority: 0 },
      { name: 'healthy', baseUrl: healthy.url, keys: ['sk-ant-test-e2e-0002'], priority: 1 },
    ],
    { strategy: 'priority', timeouts: { streamFirstByteMs: 10_000, firstByteMs: 10_000, idleMs: 10_000 } },
  );
  const run = await runClaude(proxy.url);
  assert.equal(run.code, 0, `claude exited ${run.code}: ${run.stderr.slice(0, 500)}`);
  const result = JSON.parse(run.stdout) as { is_error: boolean; result: string };
  assert.equal(result.is_error, false, run.stdout);
  assert.match(result.result, /Hello/);
  const messages = healthy.requests.filter((r) => r.url.startsWith('/v1/messages'));
  assert.ok(messages.length >= 1);
  assert.equal(messages[0].headers['x-api-key'], 'sk-ant-test-e2e-0002', 'the proxy swapped in its key');
  assert.ok(overloaded.requests.length >= 1, 'the overloaded endpoint was tried first');
  const ep = proxy.sy.stats().endpoints.find((e) => e.name === 'overloaded')!;
  assert.equal(ep.lastError?.cause, 'OVERLOADED');
});
