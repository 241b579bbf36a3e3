// The clients' environment: do new terminals get the base URL, does an HTTP proxy intercept localhost, is Claude Code's timeout too short.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Protocol, TimeoutsConfig } from '../core/config';
import { finding, humanMs, ok, Verdict } from './check';
import { safeUrl } from './configCheck';
import { DiagnosticCheck, Evidence } from './types';

export interface EnvCheckInput {
  /** The environment new terminals get. */
  clientEnv: NodeJS.ProcessEnv;
  homeDir: string;
  proxyHost: string;
  proxyPort: number;
  protocol: Protocol;
  timeouts: TimeoutsConfig;
}

interface ClaudeSettings {
  file: string;
  env: Record<string, string>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** `env` from ~/.claude/settings.json, where Claude Code also takes its variables from. */
async function readClaudeSettings(homeDir: string): Promise<ClaudeSettings> {
  const file = path.join(homeDir, '.claude', 'settings.json');
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as { env?: Record<string, unknown> };
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.env ?? {})) if (typeof v === 'string' || typeof v === 'number') env[k] = String(v);
    return { file, env };
  } catch {
    return { file, env: {} };
  }
}

function sameProxy(value: string, host: string, port: number): boolean {
  try {
    const url = new URL(value);
    const hostMatches = url.hostname === host || (LOOPBACK.has(url.hostname) && LOOPBACK.has(host));
    return hostMatches && Number(url.port || 80) === port;
  } catch {
    return false;
  }
}

function baseUrlVerdict(input: EnvCheckInput, settings: ClaudeSettings): Verdict {
  const name = input.protocol === 'openai' ? 'OPENAI_BASE_URL' : 'ANTHROPIC_BASE_URL';
  const expected = `http://${input.proxyHost.includes(':') ? `[${input.proxyHost}]` : input.proxyHost}:${input.proxyPort}${input.protocol === 'openai' ? '/v1' : ''}`;
  const fromSettings = input.protocol === 'anthropic' ? settings.env[name] : undefined;
  const value = fromSettings ?? input.clientEnv[name];
  const source = fromSettings !== undefined ? settings.file : 'the terminal environment';
  const evidence: Evidence = { variable: name, value: value === undefined ? null : safeUrl(value), source, expected };
  if (value === undefined || value.trim() === '') {
    return { status: 'warn', cause: 'BASE_URL_NOT_SET', summary: `new terminals do not get ${name}: tools started there call the provider directly, not Switchyard`, evidence, fix: `VS Code: open a new terminal after the proxy starts (existing ones keep their old environment). Shell: \`export ${name}=${expected}\`` };
  }
  if (!sameProxy(value, input.proxyHost, input.proxyPort)) {
    return { status: 'warn', cause: 'BASE_URL_ELSEWHERE', summary: `${name} points at ${safeUrl(value)} (from ${source}), not at Switchyard`, evidence, fix: `Set ${name}=${expected}${fromSettings !== undefined ? ` in ${settings.file}` : ''}, or remove it so the terminal's value applies.` };
  }
  return ok(`${name} points at Switchyard (${source})`, evidence);
}

function noProxyCovers(noProxy: string, host: string): boolean {
  const entries = noProxy.split(/[\s,]+/).map((e) => e.trim().toLowerCase()).filter(Boolean);
  const loopbackIp = /^127\./.test(host);
  return entries.some((e) => e === '*' || e === host || (host === 'localhost' && e === '.localhost') || (loopbackIp && (e === '127.0.0.0/8' || e === '127.*' || e === '127.')));
}

function proxyEnvVerdict(input: EnvCheckInput): Verdict {
  const env = input.clientEnv;
  const pick = (...names: string[]) => names.map((n) => [n, env[n]] as const).find(([, v]) => v !== undefined && v.trim() !== '');
  const httpProxy = pick('HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy');
  const httpsProxy = pick('HTTPS_PROXY', 'https_proxy');
  const noProxy = pick('NO_PROXY', 'no_proxy');
  const evidence: Evidence = {
    httpProxy: httpProxy ? `${httpProxy[0]}=${safeUrl(httpProxy[1])}` : null,
    httpsProxy: httpsProxy ? `${httpsProxy[0]}=${safeUrl(httpsProxy[1])}` : null,
    noProxy: noProxy ? `${noProxy[0]}=${noProxy[1]}` : null,
  };
  if (!httpProxy && !httpsProxy) return ok('no HTTP proxy variables are set', evidence);
  if (noProxy && noProxyCovers(noProxy[1]!, input.proxyHost)) return ok(`an HTTP proxy is set and ${noProxy[0]} exempts ${input.proxyHost}`, evidence);
  const fix = `Exempt the loopback names: \`export NO_PROXY=localhost,127.0.0.1,::1${noProxy ? `,${noProxy[1]}` : ''}\` (and no_proxy for tools that read the lower-case one).`;
  if (httpProxy) {
    return { status: 'fail', cause: 'PROXY_ENV_INTERCEPTS_LOCALHOST', summary: `${httpProxy[0]} is set without a NO_PROXY entry for ${input.proxyHost}: clients send Switchyard's traffic to the corporate proxy, which answers 502 or 403`, evidence, fix };
  }
  return { status: 'warn', cause: 'PROXY_ENV_INTERCEPTS_LOCALHOST', summary: `${httpsProxy![0]} is set without a NO_PROXY entry for ${input.proxyHost}: tools that use it for every request will not reach Switchyard`, evidence, fix };
}

function clientTimeoutVerdict(input: EnvCheckInput, settings: ClaudeSettings): Verdict {
  // Claude Code applies its settings' env over the one it was started with.
  const fromSettings = settings.env.API_TIMEOUT_MS;
  const raw = fromSettings ?? input.clientEnv.API_TIMEOUT_MS;
  const source = fromSettings !== undefined ? settings.file : 'the terminal environment';
  const firstByte = input.timeouts.streamFirstByteMs;
  const evidence: Evidence = { apiTimeoutMs: raw ?? null, source: raw === undefined ? null : source, streamFirstByteMs: firstByte, firstByteMs: input.timeouts.firstByteMs };
  if (raw === undefined) return ok("Claude Code's API_TIMEOUT_MS is not set (its default applies)", evidence);
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms <= 0) return { status: 'warn', cause: 'CLIENT_TIMEOUT_TOO_SHORT', summary: `API_TIMEOUT_MS is ${JSON.stringify(raw)}, not a number of milliseconds`, evidence, fix: 'Set it to a number of milliseconds, e.g. 600000.' };
  if (ms < firstByte) {
    return {
      status: 'warn',
      cause: 'CLIENT_TIMEOUT_TOO_SHORT',
      summary: `Claude Code gives up after ${humanMs(ms)} (API_TIMEOUT_MS from ${source}), before Switchyard's first-byte deadline of ${humanMs(firstByte)}: a hung upstream times the client out before Switchyard can fail over`,
      evidence,
      fix: `Raise API_TIMEOUT_MS above ${firstByte}, or lower timeouts.streamFirstByteMs below ${Math.round(ms)} so Switchyard moves on first.`,
    };
  }
  return ok(`API_TIMEOUT_MS (${humanMs(ms)}) outlasts Switchyard's first-byte deadline (${humanMs(firstByte)})`, evidence);
}

/** Three checks on what the clients see: base URL, proxy variables, client timeout. */
export async function checkEnvironment(input: EnvCheckInput): Promise<DiagnosticCheck[]> {
  const started = performance.now();
  const settings = await readClaudeSettings(input.homeDir);
  const ms = performance.now() - started;
  return [
    finding({ area: 'environment', title: 'Base URL' }, baseUrlVerdict(input, settings), ms),
    finding({ area: 'environment', title: 'Proxy variables' }, proxyEnvVerdict(input)),
    finding({ area: 'environment', title: 'Client timeout' }, clientTimeoutVerdict(input, settings)),
  ];
}
