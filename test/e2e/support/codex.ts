// Runs the real Codex CLI (`codex exec`, installed by scripts/codex/setup.sh) against a base URL in a throwaway CODEX_HOME, one turn or a conversation.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, type CliRun } from './cli';

export const CODEX_BIN = path.join(process.env.SWITCHYARD_CODEX_DIR ?? path.join(os.homedir(), '.cache', 'switchyard-codex'), 'node_modules', '.bin', 'codex');

/** The env var the custom provider reads its key from (`env_key`). */
export const CODEX_KEY_ENV = 'SWITCHYARD_CODEX_KEY';

export interface CodexHomeOptions {
  /** The server's origin, without `/v1`. */
  baseUrl: string;
  /**
   * `custom`: `model_provider = "sy"` with a `[model_providers.sy]` table (HTTP only, the key as Bearer from CODEX_KEY_ENV).
   * `builtin`: the built-in `openai` provider with top-level `openai_base_url` and an API-key `auth.json`; it tries a
   * WebSocket on `/v1/responses` first.
   */
  setup?: 'custom' | 'builtin';
  apiKey?: string;
  model?: string;
  /** More keys for the `[model_providers.sy]` table, e.g. `{ stream_max_retries: 0 }` (custom set-up only). */
  provider?: Record<string, string | number | boolean>;
}

export interface CodexHome {
  /** HOME and working directory of every run. */
  dir: string;
  /** CODEX_HOME: config.toml, auth.json, sessions/. */
  codexHome: string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

export interface CodexRun extends CliRun {
  /** From `--json`: the thread (= session) id, the last agent message, and every event. */
  threadId?: string;
  reply?: string;
  events: Record<string, unknown>[];
}

/** Writes a temp HOME with `.codex/config.toml` (and `auth.json` for the built-in provider) pointing Codex at `baseUrl`. */
export function makeCodexHome(opts: CodexHomeOptions): CodexHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-codex-home-'));
  const codexHome = path.join(dir, '.codex');
  fs.mkdirSync(codexHome);
  const key = opts.apiKey ?? 'sk-codex-client-placeholder-0000';
  const model = `model = ${toml(opts.model ?? 'gpt-test')}\n`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, CODEX_HOME: codexHome };
  if ((opts.setup ?? 'custom') === 'custom') {
    const table = { name: 'Switchyard', base_url: `${opts.baseUrl}/v1`, env_key: CODEX_KEY_ENV, wire_api: 'responses', ...opts.provider };
    const lines = Object.entries(table).map(([k, v]) => `${k} = ${toml(v)}`);
    fs.writeFileSync(path.join(codexHome, 'config.toml'), `${model}model_provider = "sy"\n\n[model_providers.sy]\n${lines.join('\n')}\n`);
    env[CODEX_KEY_ENV] = key;
  } else {
    // The built-in provider ignores OPENAI_API_KEY in the environment; `codex login --with-api-key` writes this file.
    fs.writeFileSync(path.join(codexHome, 'config.toml'), `${model}openai_base_url = ${toml(`${opts.baseUrl}/v1`)}\n`);
    fs.writeFileSync(path.join(codexHome, 'auth.json'), JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: key }), { mode: 0o600 });
  }
  return { dir, codexHome, env, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** One `codex exec --json` turn (stdin closed); with `resume`, a turn of that earlier session. */
export async function runCodex(home: CodexHome, prompt: string, opts: { resume?: string; timeoutMs?: number; args?: string[] } = {}): Promise<CodexRun> {
  const args = ['exec', '--skip-git-repo-check', '--json', ...(opts.args ?? []), ...(opts.resume ? ['resume', opts.resume] : []), prompt];
  const run = await runCli(CODEX_BIN, args, { cwd: home.dir, env: home.env, timeoutMs: opts.timeoutMs ?? 60_000 });
  const events = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const threadId = events.find((e) => e.type === 'thread.started')?.thread_id as string | undefined;
  const messages = events.filter((e) => e.type === 'item.completed' && (e.item as { type?: string }).type === 'agent_message');
  const reply = (messages.at(-1)?.item as { text?: string } | undefined)?.text;
  return { ...run, events, threadId, reply };
}

/** Several turns of ONE Codex session: the first `codex exec`, then `codex exec resume <thread id>` (a new process each). */
export function codexConversation(home: CodexHome, opts: { timeoutMs?: number } = {}): { threadId(): string | undefined; turn(prompt: string): Promise<CodexRun> } {
  let threadId: string | undefined;
  return {
    threadId: () => threadId,
    async turn(prompt) {
      const run = await runCodex(home, prompt, { resume: threadId, timeoutMs: opts.timeoutMs });
      if (threadId && run.threadId && run.threadId !== threadId) throw new Error(`codex resumed ${run.threadId}, not ${threadId}`);
      threadId ??= run.threadId;
      return run;
    },
  };
}

function toml(v: string | number | boolean): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
