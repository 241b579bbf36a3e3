// Checks whether a base URL answers at all (no `vscode` import).

import * as http from 'node:http';
import * as https from 'node:https';

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
