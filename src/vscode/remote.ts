// Reads another window's Switchyard over its admin routes, and checks whether a base URL answers (no `vscode` import).

import * as http from 'node:http';
import * as https from 'node:https';
import type { ProxyStats } from '../core/stats';

/** GETs /_switchyard/stats; rejects unless a Switchyard answers in time. */
export function fetchStats(host: string, port: number, timeoutMs = 1500): Promise<ProxyStats> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host, port, path: '/_switchyard/stats', headers: { host: `127.0.0.1:${port}` }, timeout: timeoutMs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProxyStats;
            if (res.statusCode === 200 && body.service === 'switchyard') resolve(body);
            else reject(new Error(`port ${port} answered ${res.statusCode} but not as a Switchyard`));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from port ${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}


export interface Reachability {
  reachable: boolean;
  status?: number;
  ms: number;
  error?: string;
}

/** One unauthenticated GET of an endpoint's base URL: any HTTP answer means the endpoint is reachable. */
export function checkReachable(baseUrl: string, timeoutMs = 5000): Promise<Reachability> {
  const started = Date.now();
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch (err) {
      resolve({ reachable: false, ms: 0, error: (err as Error).message });
      return;
    }
    const get = url.protocol === 'https:' ? https.get : http.get;
    const req = get(url, { timeout: timeoutMs, agent: false, headers: { 'user-agent': 'switchyard-probe' } }, (res) => {
      res.resume();
      resolve({ reachable: true, status: res.statusCode, ms: Date.now() - started });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ reachable: false, ms: Date.now() - started, error: err.code ? `${err.code}: ${err.message}` : err.message }));
  });
}
