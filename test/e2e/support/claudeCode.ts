// Runs the real Claude Code CLI (`claude -p`, installed by scripts/claude-code/setup.sh) against a base URL in a throwaway HOME, one turn or a conversation.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, type CliRun } from './cli';

export const CLAUDE_BIN = path.join(process.env.SWITCHYARD_CLAUDE_CODE_DIR ?? path.join(os.homedir(), '.cache', 'switchyard-claude-code'), 'node_modules', '.bin', 'claude');

export interface ClaudeHome {
  /** HOME (`.claude/`, `.claude.json`) and working directory of every run. */
  dir: string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

/** `--output-format json`'s result object. */
export interface ClaudeResult {
  type: string;
  subtype?: string;
  is_error: boolean;
  result: string;
  session_id: string;
  num_turns?: number;
  usage?: Record<string, unknown>;
}

export interface ClaudeRun extends CliRun {
  /** The parsed JSON result, when stdout held one. */
  result?: ClaudeResult;
}

/** A temp HOME whose runs send `apiKey` as `x-api-key` to `baseUrl`, with non-essential traffic and telemetry off. */
export function makeClaudeHome(opts: { baseUrl: string; apiKey?: string; env?: NodeJS.ProcessEnv }): ClaudeHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-claude-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ANTHROPIC_API_KEY: opts.apiKey ?? 'sk-ant-client-placeholder-0000',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    ...opts.env,
  };
  return { dir, env, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One `claude -p --output-format json` turn (stdin closed); `resume` continues that session, `continueLast` the newest one in this HOME and directory. */
export async function runClaude(home: ClaudeHome, prompt: string, opts: { resume?: string; continueLast?: boolean; timeoutMs?: number; args?: string[] } = {}): Promise<ClaudeRun> {
  const args = ['-p', prompt, '--output-format', 'json', ...(opts.resume ? ['--resume', opts.resume] : []), ...(opts.continueLast ? ['--continue'] : []), ...(opts.args ?? [])];
  const run = await runCli(CLAUDE_BIN, args, { cwd: home.dir, env: home.env, timeoutMs: opts.timeoutMs ?? 60_000 });
  let result: ClaudeResult | undefined;
  try {
    result = JSON.parse(run.stdout) as ClaudeResult;
  } catch {
    result = undefined;
  }
  return { ...run, result };
}

/** Several turns of ONE Claude Code session: the first `claude -p`, then `claude -p --resume <session id>` (a new process each). */
export function claudeConversation(home: ClaudeHome, opts: { timeoutMs?: number } = {}): { sessionId(): string | undefined; turn(prompt: string): Promise<ClaudeRun> } {
  let sessionId: string | undefined;
  return {
    sessionId: () => sessionId,
    async turn(prompt) {
      const run = await runClaude(home, prompt, { resume: sessionId, timeoutMs: opts.timeoutMs });
      const got = run.result?.session_id;
      if (sessionId && got && got !== sessionId) throw new Error(`claude resumed into session ${got}, not ${sessionId}`);
      sessionId ??= got;
      return run;
    },
  };
}
