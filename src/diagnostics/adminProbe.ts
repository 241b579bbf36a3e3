// Asks whatever listens on the proxy's address for a Switchyard admin route and says what answered.

import * as http from 'node:http';
import { errorCode, since } from './check';

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
