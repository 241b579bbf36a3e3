// The authenticated HTTP probe that costs no tokens (`GET {baseUrl}/v1/models`), classified per key with its latency.

import * as tls from 'node:tls';
import { Client, Dispatcher } from '../core/undici';
import { upstreamMessage } from '../core/attempt';
import { describeError } from '../core/classify';
import { Protocol } from '../core/config';
import { authHeader } from '../core/headers';
import { retryAfterMs } from '../core/retryAfter';
import { RuntimeEndpoint, RuntimeKey } from '../core/runtime';
import { errorCode, humanMs, since, Verdict } from './check';
import { Evidence } from './types';

export interface HttpProbeOptions {
  budgetMs: number;
  slowMs: number;
  /** Extra trusted CAs, prepared once per run (tlsStep's trustingExtraCas). */
  secureContext?: tls.SecureContext;
}

type Headers = Record<string, string | string[] | undefined>;
type Answer = { status: number; headers: Headers; text: string; ms: number } | { error: unknown; ms: number };

const BODY_CAP = 8192;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ABORT_ERR', 'UND_ERR_ABORTED']);

/** The probe's URL path: the base path plus `/v1/models`, as the proxy would build it. */
export function probePath(endpoint: RuntimeEndpoint): string {
  return `${endpoint.basePath}/v1/models`;
}

/** Auth headers exactly as the proxy sends them for this endpoint and key. */
export function probeHeaders(endpoint: RuntimeEndpoint, protocol: Protocol, key: RuntimeKey | undefined): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'switchyard-diagnose' };
  if (protocol === 'anthropic') headers['anthropic-version'] = '2023-06-01';
  if (key) {
    const [name, value] = authHeader(key.value, endpoint.auth);
    headers[name] = value;
  }
  return headers;
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= BODY_CAP) break;
  }
  body.destroy();
  return Buffer.concat(chunks).subarray(0, BODY_CAP).toString('utf8');
}

interface ProbeRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

async function send(endpoint: RuntimeEndpoint, headers: Record<string, string>, opts: HttpProbeOptions, probe: ProbeRequest = { method: 'GET', path: probePath(endpoint) }): Promise<Answer> {
  const started = performance.now();
  const client = new Client(endpoint.origin, {
    connect: { timeout: opts.budgetMs, secureContext: opts.secureContext },
    headersTimeout: opts.budgetMs,
    bodyTimeout: opts.budgetMs,
    allowH2: false,
    pipelining: 1,
  });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.budgetMs);
  try {
    const res = await client.request({ path: probe.path, method: probe.method, headers: probe.body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, body: probe.body, signal: abort.signal });
    const ms = since(started);
    const text = await readCapped(res.body).catch(() => '');
    return { status: res.statusCode, headers: res.headers, text, ms };
  } catch (err) {
    return { error: err, ms: since(started) };
  } finally {
    clearTimeout(timer);
    await client.destroy().catch(() => undefined);
  }
}

function modelCount(text: string): number | null {
  try {
    const data = (JSON.parse(text) as { data?: unknown }).data;
    return Array.isArray(data) ? data.length : null;
  } catch {
    return null;
  }
}

function wrongBasePath(endpoint: RuntimeEndpoint, evidence: Evidence): Verdict {
  const doubled = /\/v1$/.test(endpoint.basePath);
  const fix = doubled
    ? `The base URL ends in /v1 and clients add /v1 themselves (→ ${probePath(endpoint)}): set it to ${endpoint.origin}${endpoint.basePath.replace(/\/v1$/, '')}.`
    : `Check the base URL's path: relays often need a prefix (e.g. ${endpoint.origin}/api); the official APIs need none. If this relay does not serve /v1/models at all, this may be a false alarm.`;
  return { status: doubled ? 'fail' : 'warn', cause: 'WRONG_BASE_PATH', summary: `${probePath(endpoint)} answered 404: the base path looks wrong${doubled ? ' (a doubled /v1)' : ''}`, evidence, fix };
}

function classifyStatus(endpoint: RuntimeEndpoint, key: RuntimeKey | undefined, a: { status: number; headers: Headers; text: string; ms: number }, slowMs: number): Verdict {
  const message = a.status >= 300 ? upstreamMessage(a.text) : undefined;
  const evidence: Evidence = { url: endpoint.origin + probePath(endpoint), status: a.status, latencyMs: a.ms };
  if (message) evidence.upstreamMessage = message;
  const who = key ? `key ${key.suffix}` : 'the request (no key configured)';
  if (a.status >= 200 && a.status < 300) {
    const models = modelCount(a.text);
    if (models !== null) evidence.models = models;
    if (a.ms > slowMs) {
      return { status: 'warn', cause: 'SLOW_ENDPOINT', summary: `answered in ${a.ms} ms, slower than ${humanMs(slowMs)}`, evidence, fix: 'The endpoint is up but slow; the latency strategy or a lower weight sends it less traffic.' };
    }
    return { status: 'ok', cause: 'OK', summary: `${key ? `key ${key.suffix} works` : 'reachable'}: ${a.status} in ${a.ms} ms`, evidence };
  }
  if (!key && (a.status === 401 || a.status === 403)) {
    return { status: 'ok', cause: 'OK', summary: `reachable: ${a.status} without a key, as expected — the clients' own keys are passed through`, evidence };
  }
  if (a.status === 401) return { status: 'fail', cause: 'KEY_INVALID', summary: `${who} was rejected (401)`, evidence, fix: `Replace key ${key?.suffix}: it is wrong, revoked, or for another provider or relay.` };
  if (a.status === 403) return { status: 'fail', cause: 'KEY_FORBIDDEN', summary: `${who} is forbidden (403)`, evidence, fix: 'The key is valid but lacks access (workspace, region or plan), or the relay blocks this client.' };
  if (a.status === 404) return wrongBasePath(endpoint, evidence);
  if (a.status === 429) {
    const wait = retryAfterMs(a.headers);
    if (wait !== undefined) {
      evidence.retryAfterMs = Math.round(wait);
      evidence.resetAt = new Date(Date.now() + wait).toISOString();
    }
    const until = wait !== undefined ? ` until ${evidence.resetAt} (${humanMs(wait)})` : '';
    return { status: 'warn', cause: 'RATE_LIMITED', summary: `${who} is rate limited${until}`, evidence, fix: 'Switchyard cools this key down and uses others meanwhile; add keys or lower concurrency if it happens often.' };
  }
  if (a.status === 529) return { status: 'fail', cause: 'OVERLOADED', summary: 'the upstream is overloaded (529)', evidence, fix: 'A provider-side condition: Switchyard fails over to other endpoints; add another endpoint to the cluster to ride it out.' };
  if (a.status >= 500) return { status: 'fail', cause: 'UPSTREAM_5XX', formerly: 'SERVER_ERROR', summary: `the upstream answered ${a.status}`, evidence, fix: 'The server or relay is failing; Switchyard fails over. If it persists, tell its operator.' };
  if (a.status >= 300 && a.status < 400) evidence.location = String(a.headers.location ?? '');
  return { status: 'warn', cause: 'UNEXPECTED_STATUS', summary: `${probePath(endpoint)} answered ${a.status}`, evidence, fix: a.status < 400 ? 'The base URL redirects; use the address it redirects to (often https:// instead of http://).' : 'The endpoint may not be the API the cluster\'s protocol expects.' };
}

function classifyError(endpoint: RuntimeEndpoint, err: unknown, ms: number, budgetMs: number): Verdict {
  const code = errorCode(err) ?? (err as Error)?.name ?? 'ERROR';
  const evidence: Evidence = { url: endpoint.origin + probePath(endpoint), error: describeError(err).slice(0, 200), ms };
  if (TIMEOUT_CODES.has(code) || (err as Error)?.name === 'AbortError') {
    return { status: 'fail', cause: 'UPSTREAM_TIMEOUT', formerly: 'HTTP_TIMEOUT', summary: `no answer to GET ${probePath(endpoint)} within ${humanMs(budgetMs)}`, evidence, fix: 'The endpoint accepts connections but does not answer; Switchyard\'s first-byte deadline fails over from it. If it is a relay, check its upstream.' };
  }
  return { status: 'fail', cause: 'UPSTREAM_RESET', formerly: 'HTTP_FAILED', summary: `GET ${probePath(endpoint)} failed (${code})`, evidence, fix: 'The connection broke during the request; run diagnostics again, and check the relay if it persists.' };
}

/** Probes the endpoint with one key (or with no auth for a keyless endpoint). */
export async function probeHttp(endpoint: RuntimeEndpoint, protocol: Protocol, key: RuntimeKey | undefined, opts: HttpProbeOptions): Promise<{ verdict: Verdict; ms: number }> {
  const answer = await send(endpoint, probeHeaders(endpoint, protocol, key), opts);
  if ('error' in answer) return { verdict: classifyError(endpoint, answer.error, answer.ms, opts.budgetMs), ms: answer.ms };
  return { verdict: classifyStatus(endpoint, key, answer, opts.slowMs), ms: answer.ms };
}

/** The Responses probe's path: an empty request costs no tokens, and its answer says whether the API is there. */
export function responsesProbePath(endpoint: RuntimeEndpoint): string {
  return `${endpoint.basePath}/v1/responses`;
}

/**
 * Whether an OpenAI endpoint serves the Responses API (what Codex speaks): an empty `POST /v1/responses`
 * answered 400 in OpenAI's error shape means it does; 404 or 405 that it does not. Other answers are the
 * models probe's business, so they give no verdict.
 */
export async function probeResponses(endpoint: RuntimeEndpoint, key: RuntimeKey | undefined, opts: HttpProbeOptions): Promise<{ verdict: Verdict; ms: number } | undefined> {
  const path = responsesProbePath(endpoint);
  const answer = await send(endpoint, probeHeaders(endpoint, 'openai', key), opts, { method: 'POST', path, body: '{}' });
  if ('error' in answer) return undefined;
  const evidence: Evidence = { url: endpoint.origin + path, status: answer.status, latencyMs: answer.ms };
  const message = answer.status >= 300 ? upstreamMessage(answer.text) : undefined;
  if (message) evidence.upstreamMessage = message;
  if (answer.status === 400 || answer.status === 422) {
    return { verdict: { status: 'ok', cause: 'OK', summary: `the Responses API is served (an empty request was refused with ${answer.status}, as expected; no tokens spent)`, evidence }, ms: answer.ms };
  }
  if (answer.status === 404 || answer.status === 405) {
    return {
      verdict: {
        status: 'warn',
        cause: 'RESPONSES_API_MISSING',
        summary: `POST ${path} answered ${answer.status}: this endpoint does not serve the Responses API, so Codex cannot use it (Chat Completions clients still can)`,
        evidence,
        fix: 'Point Codex at a cluster whose endpoints serve /v1/responses (the official API does; many relays serve only /v1/chat/completions), or give this endpoint a lower weight in a cluster Codex uses.',
      },
      ms: answer.ms,
    };
  }
  return undefined;
}
