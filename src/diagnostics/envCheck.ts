// The clients' environment: do terminals and Codex reach the proxy, does an HTTP proxy intercept localhost, are the clients signed in with a subscription, is Claude Code's timeout too short.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { codexConfigFile, readCodexPointing } from '../clients/codexConfig';
import { Protocol, TimeoutsConfig } from '../core/config';
import { finding, humanMs, ok, Verdict } from './check';
import { safeUrl } from './configCheck';
import { DiagnosticsHost, settingRef } from './settingNames';
import { DiagnosticCheck, Evidence } from './types';

export interface EnvCheckInput {
  /** The environment new terminals get. */
  clientEnv: NodeJS.ProcessEnv;
  homeDir: string;
  proxyHost: string;
  proxyPort: number;
  /** The protocol families that have a cluster. */
  families: readonly Protocol[];
  timeouts: TimeoutsConfig;
  runsIn?: DiagnosticsHost;
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

function proxyBase(input: EnvCheckInput): string {
  return `http://${input.proxyHost.includes(':') ? `[${input.proxyHost}]` : input.proxyHost}:${input.proxyPort}`;
}

function baseUrlVerdict(input: EnvCheckInput, settings: ClaudeSettings, family: Protocol): Verdict {
  const name = family === 'openai' ? 'OPENAI_BASE_URL' : 'ANTHROPIC_BASE_URL';
  const expected = `${proxyBase(input)}${family === 'openai' ? '/v1' : ''}`;
  const fromSettings = family === 'anthropic' ? settings.env[name] : undefined;
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
      fix: `Raise API_TIMEOUT_MS above ${firstByte}, or lower \`streamFirstByteMs\` of ${settingRef('timeouts', input.runsIn ?? 'headless')} below ${Math.round(ms)} so Switchyard moves on first.`,
    };
  }
  return ok(`API_TIMEOUT_MS (${humanMs(ms)}) outlasts Switchyard's first-byte deadline (${humanMs(firstByte)})`, evidence);
}

async function readText(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

/** Codex ignores OPENAI_BASE_URL: only its config.toml (`openai_base_url`, or a custom provider's `base_url`) points it anywhere. */
function codexVerdict(input: EnvCheckInput, file: string, text: string | undefined, codexDirExists: boolean): Verdict {
  const expected = `${proxyBase(input)}/v1`;
  const pointing = text === undefined ? {} : readCodexPointing(text);
  const evidence: Evidence = { file, openaiBaseUrl: pointing.openaiBaseUrl ? safeUrl(pointing.openaiBaseUrl) : null, modelProvider: pointing.modelProvider ?? null, expected };
  const fix = `Run "Switchyard: Point Codex at Switchyard" in VS Code, or add \`openai_base_url = "${expected}"\` at the top of ${file}. Codex ignores the OPENAI_BASE_URL variable.`;
  if (!codexDirExists) return ok(`Codex is not set up for this user (no ${path.dirname(file)}); when it is, point it at Switchyard in its config.toml`, evidence);
  const target = pointing.effectiveBaseUrl;
  if (target === undefined) {
    const via = pointing.modelProvider && pointing.modelProvider !== 'openai' ? `its provider "${pointing.modelProvider}" has no base_url` : 'it has no openai_base_url';
    return { status: 'warn', cause: 'CODEX_NOT_POINTED', summary: `Codex talks to OpenAI directly, not to Switchyard: ${text === undefined ? `${file} does not exist` : `${file}: ${via}`}`, evidence, fix };
  }
  if (!sameProxy(target, input.proxyHost, input.proxyPort)) {
    return { status: 'warn', cause: 'CODEX_POINTED_ELSEWHERE', summary: `Codex is pointed at ${safeUrl(target)} (${pointing.modelProvider && pointing.modelProvider !== 'openai' ? `provider "${pointing.modelProvider}"` : 'openai_base_url'} in ${file}), not at Switchyard`, evidence, fix };
  }
  return ok(`Codex is pointed at Switchyard (${pointing.modelProvider && pointing.modelProvider !== 'openai' ? `provider "${pointing.modelProvider}"` : 'openai_base_url'} in ${file})`, evidence);
}

/** Subscription logins on this machine whose clients are pointed at the proxy: their tokens expect the vendor's own backend. */
async function subscriptionVerdicts(input: EnvCheckInput, settings: ClaudeSettings, codexFile: string, codexText: string | undefined): Promise<Verdict[]> {
  const out: Verdict[] = [];
  const claudeAtProxy = (settings.env.ANTHROPIC_BASE_URL ?? input.clientEnv.ANTHROPIC_BASE_URL) !== undefined && sameProxy(settings.env.ANTHROPIC_BASE_URL ?? input.clientEnv.ANTHROPIC_BASE_URL!, input.proxyHost, input.proxyPort);
  const apiKey = settings.env.ANTHROPIC_API_KEY ?? input.clientEnv.ANTHROPIC_API_KEY ?? settings.env.ANTHROPIC_AUTH_TOKEN ?? input.clientEnv.ANTHROPIC_AUTH_TOKEN;
  const claudeCredentials = path.join(input.homeDir, '.claude', '.credentials.json');
  const claude = await readText(claudeCredentials);
  if (input.families.includes('anthropic') && claudeAtProxy && !apiKey && claude !== undefined && /"claudeAiOauth"\s*:/.test(claude)) {
    out.push({
      status: 'warn',
      cause: 'SUBSCRIPTION_LOGIN',
      summary: 'Claude Code is signed in with a Claude subscription and pointed at Switchyard: its OAuth token reaches the proxy, which swaps in an endpoint\'s API key (that account pays) or passes the token on (a relay rejects it)',
      evidence: { credentials: claudeCredentials, anthropicApiKey: false },
      fix: 'Give Claude Code an API key (ANTHROPIC_API_KEY) to go through Switchyard, or leave ANTHROPIC_BASE_URL unset for this login.',
    });
  }
  const codexAuthFile = path.join(path.dirname(codexFile), 'auth.json');
  const auth = await readText(codexAuthFile);
  const codexTarget = codexText === undefined ? undefined : readCodexPointing(codexText).effectiveBaseUrl;
  if (input.families.includes('openai') && auth !== undefined && codexTarget !== undefined && sameProxy(codexTarget, input.proxyHost, input.proxyPort) && chatGptLogin(auth)) {
    out.push({
      status: 'warn',
      cause: 'SUBSCRIPTION_LOGIN',
      summary: 'Codex is signed in with ChatGPT and pointed at Switchyard: its ChatGPT token reaches the proxy, which swaps in an endpoint\'s API key (that account pays) or passes the token on (only OpenAI\'s own backend accepts it)',
      evidence: { auth: codexAuthFile },
      fix: 'Sign Codex in with an API key (`codex login --with-api-key`) to go through Switchyard, or remove openai_base_url for the ChatGPT login.',
    });
  }
  return out;
}

/** A Codex auth.json holding ChatGPT tokens and no API key (its contents are never echoed). */
function chatGptLogin(text: string): boolean {
  try {
    const auth = JSON.parse(text) as { OPENAI_API_KEY?: unknown; tokens?: { access_token?: unknown } | null; auth_mode?: unknown };
    if (auth.auth_mode === 'chatgpt') return true;
    return typeof auth.tokens?.access_token === 'string' && !auth.OPENAI_API_KEY;
  } catch {
    return false;
  }
}

/** What the clients see: base URLs (per family, and Codex's own config), proxy variables, subscription logins, the client timeout. */
export async function checkEnvironment(input: EnvCheckInput): Promise<DiagnosticCheck[]> {
  const started = performance.now();
  const settings = await readClaudeSettings(input.homeDir);
  const codexFile = codexConfigFile(input.clientEnv, input.homeDir);
  const codexText = await readText(codexFile);
  const codexDirExists = await fs.stat(path.dirname(codexFile)).then(() => true, () => false);
  const logins = await subscriptionVerdicts(input, settings, codexFile, codexText);
  const ms = performance.now() - started;
  const families = input.families.length > 0 ? input.families : (['anthropic'] as const);
  return [
    ...families.map((f) => finding({ area: 'environment', title: f === 'openai' ? 'Base URL (OpenAI SDKs)' : 'Base URL', detail: f }, baseUrlVerdict(input, settings, f), ms)),
    ...(input.families.includes('openai') ? [finding({ area: 'environment', title: 'Codex' }, codexVerdict(input, codexFile, codexText, codexDirExists))] : []),
    finding({ area: 'environment', title: 'Proxy variables' }, proxyEnvVerdict(input)),
    ...logins.map((v, i) => finding({ area: 'environment', title: 'Subscription login', detail: String(i) }, v)),
    finding({ area: 'environment', title: 'Client timeout' }, clientTimeoutVerdict(input, settings)),
  ];
}
