// Times, in this process, each piece of per-request work in src/core that is a suspect for CPU, in µs per call.

import { Writable } from 'node:stream';
import { Balancer } from '../../src/core/balancer';
import { validateConfig } from '../../src/core/config';
import { anthropicStream } from '../../src/core/demo';
import { checkRequest, isLoopbackHost } from '../../src/core/guard';
import { clientResponseHeaderList, upstreamRequestHeaders } from '../../src/core/headers';
import { MemoryHealthStore } from '../../src/core/health';
import { formatRequestLine, Redactor, redactingLogger, RequestRecord, streamLogger } from '../../src/core/log';
import { buildSnapshot } from '../../src/core/runtime';
import { routeRequest } from '../../src/core/protocols';
import { Switchyard } from '../../src/core/switchyard';

export interface SuspectTiming {
  name: string;
  /** Where the code lives and when it runs. */
  where: string;
  microsPerCall: number;
}

/** The fastest of 7 batches' time per call, after a warm-up batch: the least disturbed by other processes on a shared machine. */
function time(fn: () => unknown, calls: number): number {
  const batches: number[] = [];
  for (let b = 0; b < 8; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    const us = Number(process.hrtime.bigint() - t0) / 1000 / calls;
    if (b > 0) batches.push(us);
  }
  return Math.min(...batches);
}

/** What Claude Code sends (names as the client wrote them), keys fake. */
const RAW_HEADERS = [
  'Host', '127.0.0.1:7860', 'Connection', 'keep-alive', 'Accept', 'application/json', 'X-Stainless-Retry-Count', '0', 'X-Stainless-Timeout', '600',
  'X-Stainless-Lang', 'js', 'X-Stainless-Package-Version', '0.55.1', 'X-Stainless-OS', 'Linux', 'X-Stainless-Arch', 'x64', 'X-Stainless-Runtime', 'node',
  'X-Stainless-Runtime-Version', 'v20.20.2', 'anthropic-dangerous-direct-browser-access', 'true', 'anthropic-version', '2023-06-01',
  'x-api-key', 'sk-ant-client-0000000000000000', 'x-app', 'cli', 'User-Agent', 'claude-cli/1.0.0 (external, cli)', 'content-type', 'application/json',
  'anthropic-beta', 'claude-code-20250219,interleaved-thinking-2025-05-14', 'accept-encoding', 'gzip, deflate, br', 'content-length', '123456',
];
const REQUEST_HEADERS = Object.fromEntries(Array.from({ length: RAW_HEADERS.length / 2 }, (_, i) => [RAW_HEADERS[2 * i].toLowerCase(), RAW_HEADERS[2 * i + 1]]));
/** An Anthropic response's headers, as undici hands them over. */
const RESPONSE_HEADERS = {
  date: 'Mon, 01 Dec 2025 22:00:00 GMT', 'content-type': 'application/json', 'content-length': '512', connection: 'keep-alive', 'anthropic-ratelimit-requests-limit': '4000',
  'anthropic-ratelimit-requests-remaining': '3999', 'anthropic-ratelimit-requests-reset': '2025-12-01T22:00:01Z', 'anthropic-ratelimit-tokens-limit': '400000',
  'anthropic-ratelimit-tokens-remaining': '399000', 'anthropic-ratelimit-tokens-reset': '2025-12-01T22:00:01Z', 'request-id': 'req_011CQ0000000000000000000',
  'anthropic-organization-id': '00000000-0000-0000-0000-000000000000', via: '1.1 google', 'cf-cache-status': 'DYNAMIC', server: 'cloudflare', 'cf-ray': '0000000000000000-AMS',
};

function body(bytes: number): Buffer {
  const filler = 'x'.repeat(Math.max(0, bytes - 120));
  return Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32000, stream: true, system: filler, messages: [{ role: 'user', content: 'hi' }] }));
}

function config(endpoints: number, keysPerEndpoint: number) {
  return validateConfig({
    activeCluster: 'main',
    clusters: [
      {
        name: 'main',
        protocol: 'anthropic',
        endpoints: Array.from({ length: endpoints }, (_, e) => ({
          name: `e${e}`,
          baseUrl: `https://relay${e}.example.com/anthropic`,
          tokens: Array.from({ length: keysPerEndpoint }, (_, k) => `sk-ant-api03-${String(e).padStart(2, '0')}${String(k).padStart(4, '0')}${'k'.repeat(80)}`),
        })),
      },
    ],
  });
}

const TRAIT_HEADERS = { 'content-type': 'application/json', 'x-claude-code-session-id': 'bench-session' };

const RECORD: RequestRecord = {
  id: 'a1b2-3c',
  time: new Date().toISOString(),
  method: 'POST',
  path: '/v1/messages',
  family: 'anthropic',
  api: 'anthropic-messages',
  operation: 'messages',
  cluster: 'main',
  model: 'claude-sonnet-4-5',
  stream: true,
  endpoint: 'e0',
  key: '…kkkk',
  status: 200,
  outcome: 'OK',
  attempts: [{ endpoint: 'e0', key: '…kkkk', cause: 'OK', status: 200, ms: 412 }],
  ttfbMs: 412,
  durationMs: 5230,
  bytesIn: 123456,
  bytesOut: 45678,
};

export function timeSuspects(): SuspectTiming[] {
  const out: SuspectTiming[] = [];
  const add = (name: string, where: string, fn: () => unknown, calls = 20_000) => out.push({ name, where, microsPerCall: time(fn, calls) });

  for (const [e, k] of [[1, 1], [4, 10]]) {
    const snap = buildSnapshot(config(e, k), 1);
    const redactor = new Redactor();
    redactor.addSecrets(snap.secrets);
    const line = formatRequestLine(RECORD);
    add(`Redactor.redact(request line), ${snap.secrets.length} key(s)`, 'log.ts, every log line (redactingLogger)', () => redactor.redact(line));
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const logger = redactingLogger(streamLogger(sink, 'info'), redactor);
    add(`whole request log line: formatRequestLine + redact + streamLogger, ${snap.secrets.length} key(s)`, 'switchyard.ts onRecord, once per request', () => logger.info(formatRequestLine(RECORD)));
  }
  add('formatRequestLine alone', 'log.ts, once per request', () => formatRequestLine(RECORD));
  add('new Date().toISOString()', 'proxy.ts finish() and log.ts streamLogger: twice per request', () => new Date().toISOString());
  add("new URL(origin).hostname + isLoopbackHost", 'upstream.ts dispatcherFor, per dispatch when an upstream proxy is set', () => isLoopbackHost(new URL('https://relay0.example.com').hostname.replace(/^\[|\]$/g, '')));
  add('upstreamRequestHeaders (20 client headers)', 'headers.ts via attempt.ts, per attempt', () => upstreamRequestHeaders(RAW_HEADERS, 'sk-ant-api03-000000', 'x-api-key', 123456));
  const extra = { 'x-switchyard-endpoint': 'e0', 'x-switchyard-attempts': '1', 'x-switchyard-request-id': 'a1b2-3c' };
  add('clientResponseHeaderList (16 headers + 3 own)', 'headers.ts via relay.ts writeHead, per response', () => clientResponseHeaderList(RESPONSE_HEADERS, extra));
  add('checkRequest (loopback Host, no client key)', 'guard.ts via server.ts, per request', () => checkRequest(REQUEST_HEADERS, '127.0.0.1', [], undefined));
  for (const size of [200, 100_000]) {
    const b = body(size);
    add(`routeRequest + traits, ${size >= 1000 ? `${size / 1000} KB` : `${size} B`} body`, 'protocols/ via proxy.ts handle, per request', () => {
      const route = routeRequest('POST', '/v1/messages', TRAIT_HEADERS);
      return route.op.api.traits(route.op, b, TRAIT_HEADERS, route.pathname);
    }, size > 1000 ? 2000 : 20_000);
  }
  for (const [e, k] of [[1, 1], [4, 10]]) {
    const snap = buildSnapshot(config(e, k), 1);
    const health = new MemoryHealthStore(snap.config.health);
    const balancer = new Balancer(health);
    const ctx = { cluster: snap.active, avoidEndpoints: new Set<string>(), usedKeys: new Set<string>(), excludeEndpoints: new Set<string>() };
    add(`Balancer.pick, ${e} endpoint(s) × ${k} key(s)`, 'balancer.ts via proxy.ts attemptLoop, per attempt', () => balancer.pick(ctx));
    const id = snap.active.endpoints[0].id;
    add(`health.begin + end (OK), ${e} endpoint(s)`, 'health.ts via proxy.ts, per attempt', () => {
      const probe = health.begin(id);
      health.end(id, snap.active.endpoints[0].keys[0]?.id, 'OK', 'ok', 100, { probe });
    });
    const sy = new Switchyard({ config: snap.config, writeRequestLog: false });
    add(`Switchyard.stats(), ${e} endpoint(s) × ${k} key(s)`, 'switchyard.ts, per /_switchyard/stats view', () => sy.stats(), 2000);
  }
  add('process.memoryUsage()', 'switchyard.ts stats(), per view', () => process.memoryUsage(), 2000);
  add('process.memoryUsage.rss()', 'switchyard.ts stats(), per view', () => process.memoryUsage.rss(), 2000);
  const events = Buffer.from(anthropicStream('Hello from the bench upstream, a reply of a few words'));
  const op = routeRequest('POST', '/v1/messages', TRAIT_HEADERS).op;
  add(`Anthropic watcher feed, a whole ${events.length}-byte reply in one chunk`, 'protocols/anthropicMessages.ts via relay.ts, per SSE chunk', () => op.api.watch(op, true).feed(events));
  return out;
}

export function formatSuspects(rows: SuspectTiming[]): string {
  const width = Math.max(...rows.map((r) => r.name.length));
  return rows.map((r) => `  ${r.microsPerCall.toFixed(2).padStart(8)} µs  ${r.name.padEnd(width)}  (${r.where})`).join('\n');
}

if (require.main === module) process.stdout.write(`${formatSuspects(timeSuspects())}\n`);
