// The one client of a Switchyard's admin routes (/_switchyard/*): port owners, other VS Code windows and diagnostics all ask through it.

import * as http from 'node:http';
import type { SwitchyardHealth } from './portOwner';
import type { ProxyStats } from './stats';

function since(started: number): number {
  return Math.round(performance.now() - started);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

export type AdminAnswer =
  | { kind: 'json'; status: number; body: unknown; ms: number }
  /** Something answered HTTP, but not with JSON: not a Switchyard. */
  | { kind: 'other'; status: number; ms: number }
  | { kind: 'refused'; ms: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'error'; code: string; ms: number };

/** Where to reach a proxy: loopback for a wildcard bind, brackets for IPv6. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[|\]$/g, '');
}

export function proxyUrl(host: string, port: number): string {
  const h = reachableHost(host);
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** GETs an admin path with a loopback Host header (the proxy refuses others) and the client key when one is set. */
export function getAdmin(host: string, port: number, path: string, timeoutMs: number, clientKey?: string): Promise<AdminAnswer> {
  const started = performance.now();
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, accept: 'application/json' };
  if (clientKey) headers['x-switchyard-key'] = clientKey;
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: AdminAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(a);
    };
    const req = http.get({ host: reachableHost(host), port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => done({ kind: 'other', status: res.statusCode ?? 0, ms: since(started) }));
      res.on('end', () => {
        try {
          done({ kind: 'json', status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), ms: since(started) });
        } catch {
          done({ kind: 'other', status: res.statusCode ?? 0, ms: since(started) });
        }
      });
    });
    const timer = setTimeout(() => done({ kind: 'timeout', ms: since(started) }), timeoutMs);
    req.on('error', (err) => {
      const code = errorCode(err) ?? 'ERROR';
      done(code === 'ECONNREFUSED' ? { kind: 'refused', ms: since(started) } : { kind: 'error', code, ms: since(started) });
    });
  });
}

export interface SwitchyardIdentity {
  instanceId: string;
  pid: number;
  version: string;
  startedAt: number;
}

/** The Switchyard identity in a health answer, if it is one. */
export function switchyardIdentity(answer: AdminAnswer): SwitchyardIdentity | undefined {
  if (answer.kind !== 'json' || answer.status !== 200) return undefined;
  const body = answer.body as Partial<SwitchyardIdentity> & { service?: unknown };
  if (body?.service !== 'switchyard' || typeof body.instanceId !== 'string') return undefined;
  return { instanceId: body.instanceId, pid: Number(body.pid), version: String(body.version), startedAt: Number(body.startedAt) };
}

/** The health answer of whatever listens on host:port, when it is a Switchyard. */
export async function fetchHealth(host: string, port: number, timeoutMs = 1000, clientKey?: string): Promise<SwitchyardHealth | undefined> {
  const answer = await getAdmin(host, port, '/_switchyard/health', timeoutMs, clientKey);
  return switchyardIdentity(answer) ? (answer as { body: SwitchyardHealth }).body : undefined;
}

/** Another Switchyard's stats; rejects unless one answers in time. */
/** Another Switchyard's stats in this version's shape: before 0.2 an endpoint's keys were listed as `tokens`. */
export function peerStats(body: unknown): ProxyStats {
  const stats = body as ProxyStats;
  for (const c of stats.clusters ?? []) {
    for (const e of c.endpoints ?? []) {
      const older = e as typeof e & { tokens?: typeof e.keys };
      if (older.keys === undefined && older.tokens !== undefined) older.keys = older.tokens;
    }
  }
  return stats;
}

export async function fetchStats(host: string, port: number, timeoutMs = 1500, clientKey?: string): Promise<ProxyStats> {
  const answer = await getAdmin(host, port, '/_switchyard/stats', timeoutMs, clientKey);
  if (answer.kind === 'json' && answer.status === 200 && (answer.body as { service?: unknown })?.service === 'switchyard') return peerStats(answer.body);
  throw new Error(answer.kind === 'json' || answer.kind === 'other' ? `port ${port} answered ${answer.status} but not as a Switchyard` : `no Switchyard answered on port ${port} (${answer.kind})`);
}

/** A live subscription to another Switchyard's `/_switchyard/events`. */
export interface EventsSubscription {
  close(): void;
}

export interface EventsHandlers {
  /** Each event's data, parsed (`{ type: 'snapshot' | 'requests' | …, … }`). */
  message(m: { type: string } & Record<string, unknown>): void;
  /** The stream ended or never started: `status` is the HTTP status when one came (404: an older Switchyard without the feed). */
  end(reason: { status?: number; error?: string }): void;
}

/** Follows another Switchyard's state and requests as they happen (no history): the feed other VS Code windows render. */
export function subscribeEvents(host: string, port: number, handlers: EventsHandlers, clientKey?: string): EventsSubscription {
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, accept: 'text/event-stream' };
  if (clientKey) headers['x-switchyard-key'] = clientKey;
  let ended = false;
  const end = (reason: { status?: number; error?: string }) => {
    if (ended) return;
    ended = true;
    handlers.end(reason);
  };
  const req = http.get({ host: reachableHost(host), port, path: '/_switchyard/events?history=off', headers, agent: false }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      end({ status: res.statusCode });
      return;
    }
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let blank = buffer.indexOf('\n\n'); blank !== -1; blank = buffer.indexOf('\n\n')) {
        const event = buffer.slice(0, blank);
        buffer = buffer.slice(blank + 2);
        const data = event
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(l.charCodeAt(5) === 32 ? 6 : 5))
          .join('\n');
        if (!data) continue;
        try {
          handlers.message(JSON.parse(data) as { type: string } & Record<string, unknown>);
        } catch {
          // A frame that is not JSON is not ours to read.
        }
      }
    });
    res.on('end', () => end({ status: 200 }));
    res.on('error', (err) => end({ error: err.message }));
    res.on('close', () => end({ status: 200 }));
  });
  req.on('error', (err) => end({ error: err.message }));
  return { close: () => req.destroy() };
}
