// Checks whether a base URL answers at all, without a key, and says in plain words what answered (no `vscode` import).

import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { Cause } from '../core/outcomes';

export interface Reachability {
  reachable: boolean;
  status?: number;
  ms: number;
  /** `CODE: message` of a failed request. */
  error?: string;
  /** The error's code (`ECONNREFUSED`, `ENOTFOUND`, `CERT_HAS_EXPIRED`, `TIMEOUT`, `ABORTED`, …). */
  code?: string;
  /** A redirect's target. */
  location?: string;
  /** The URL that was requested. */
  url?: string;
}

export interface ReachOptions {
  timeoutMs?: number;
  /** Appended to the base URL's path (e.g. `/v1/models`); none by default. */
  path?: string;
  /** Extra request headers; never credentials. */
  headers?: Record<string, string>;
  /** Extra trusted CA certificates (PEM), on top of Node's roots. */
  ca?: string;
  /** Aborts the request; the result then has code `ABORTED`. */
  signal?: AbortSignal;
}

/** One unauthenticated GET (never a generation, no key spent): any HTTP answer means the endpoint is reachable. */
export function checkReachable(baseUrl: string, options: ReachOptions | number = {}): Promise<Reachability> {
  const o = typeof options === 'number' ? { timeoutMs: options } : options;
  const timeoutMs = o.timeoutMs ?? 5000;
  const started = Date.now();
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(baseUrl);
      if (o.path) url.pathname = `${url.pathname.replace(/\/+$/, '')}${o.path}`;
    } catch (err) {
      resolve({ reachable: false, ms: 0, code: 'ERR_INVALID_URL', error: (err as Error).message });
      return;
    }
    if (o.signal?.aborted) {
      resolve({ reachable: false, ms: 0, code: 'ABORTED', error: 'cancelled', url: url.href });
      return;
    }
    let settled = false;
    const finish = (r: Omit<Reachability, 'ms' | 'url'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, ms: Date.now() - started, url: url.href });
    };
    const get = url.protocol === 'https:' ? https.get : http.get;
    const ca = o.ca && url.protocol === 'https:' ? [...tls.rootCertificates, o.ca] : undefined;
    const req = get(url, { agent: false, ca, headers: { 'user-agent': 'switchyard-probe', ...o.headers } }, (res) => {
      res.resume();
      const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
      finish({ reachable: true, status: res.statusCode, ...(location ? { location } : {}) });
      req.destroy();
    });
    const fail = (code: string, error: string) => {
      finish({ reachable: false, code, error: `${code}: ${error}` });
      req.destroy();
    };
    const timer = setTimeout(() => fail('TIMEOUT', `no answer within ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => fail('ABORTED', 'cancelled');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'ERROR', err.message));
  });
}

/** What a probe found, as the cause code the rest of Switchyard uses and a few words for a person. */
export interface ReachWords {
  /** `ok`: reachable and answering; `warn`: reachable but something looks off; `down`: failing or not reachable. */
  verdict: 'ok' | 'warn' | 'down';
  cause: Cause | 'OK' | 'REDIRECT' | 'CANCELLED';
  text: string;
}

const UNTRUSTED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** Plain words for a probe's result: "answered 401 (reachable; needs a key)", "nothing listens on 127.0.0.1:1234 (connection refused)", … */
export function describeReachability(r: Reachability, timeoutMs: number): ReachWords {
  const url = new URL(r.url ?? 'http://unknown');
  const s = r.status;
  if (s !== undefined) {
    const answered = `answered ${s} in ${r.ms} ms`;
    if (s >= 200 && s < 300) return { verdict: 'ok', cause: 'OK', text: `${answered} (reachable)` };
    // No key was sent, so 401/403 only say that a key is wanted.
    if (s === 401) return { verdict: 'ok', cause: 'OK', text: `${answered} (reachable; needs a key)` };
    if (s === 403) return { verdict: 'ok', cause: 'OK', text: `${answered} (reachable; it wants a key, or refuses this client)` };
    if (s === 429) return { verdict: 'ok', cause: 'RATE_LIMITED', text: `${answered} (reachable; rate limited right now)` };
    if (s === 404) {
      const doubled = /\/v1\/v1\//.test(url.pathname);
      return { verdict: 'warn', cause: 'PATH_NOT_FOUND', text: `${answered} for ${url.pathname} (reachable, but the path looks wrong: ${doubled ? 'the base URL ends in /v1, and clients add /v1 themselves' : 'a relay may need a prefix such as /api'})` };
    }
    if (s >= 300 && s < 400) return { verdict: 'warn', cause: 'REDIRECT', text: `${answered}, redirecting to ${r.location ?? 'another address'} (use that address as the base URL)` };
    if (s === 529) return { verdict: 'down', cause: 'OVERLOADED', text: `answered 529 in ${r.ms} ms — the endpoint is up but overloaded` };
    if (s >= 500) return { verdict: 'down', cause: 'UPSTREAM_5XX', text: `answered ${s} in ${r.ms} ms — the endpoint is up but failing` };
    return { verdict: 'ok', cause: 'CLIENT_ERROR', text: `${answered} (reachable)` };
  }
  const code = r.code ?? 'ERROR';
  if (code === 'ABORTED') return { verdict: 'down', cause: 'CANCELLED', text: 'the check was cancelled' };
  if (code === 'TIMEOUT' || code === 'ETIMEDOUT') return { verdict: 'down', cause: 'UPSTREAM_TIMEOUT', text: `timed out after ${seconds(timeoutMs)} (nothing answered)` };
  if (code === 'ECONNREFUSED') return { verdict: 'down', cause: 'UPSTREAM_CONNECT', text: `nothing listens on ${hostPort(url)} (connection refused)` };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return { verdict: 'down', cause: 'UPSTREAM_CONNECT', text: `${url.hostname} cannot be reached from here (no route to it)` };
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_NODATA') return { verdict: 'down', cause: 'UPSTREAM_DNS', text: `the name ${url.hostname} does not resolve (DNS: no such host — a typo, or a name only a VPN knows)` };
  if (code === 'EAI_AGAIN') return { verdict: 'down', cause: 'UPSTREAM_DNS', text: `the name ${url.hostname} could not be looked up (DNS did not answer — offline, or the VPN is down?)` };
  if (UNTRUSTED.has(code)) return { verdict: 'down', cause: 'UPSTREAM_TLS', text: `its TLS certificate is not trusted here (${code}: self-signed or a private CA; switchyard.caFile adds one)` };
  if (code === 'CERT_HAS_EXPIRED') return { verdict: 'down', cause: 'UPSTREAM_TLS', text: 'its TLS certificate has expired (or this machine\'s clock is wrong)' };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { verdict: 'down', cause: 'UPSTREAM_TLS', text: `its TLS certificate is for another name than ${url.hostname}` };
  if (code === 'EPROTO' || code.startsWith('ERR_SSL')) return { verdict: 'down', cause: 'UPSTREAM_TLS', text: `it does not speak TLS on port ${url.port || 443} (try http:// instead of https://)` };
  if (code === 'ECONNRESET' || code === 'EPIPE') return { verdict: 'down', cause: 'UPSTREAM_RESET', text: 'the connection was closed before any answer' };
  if (code.startsWith('HPE_')) return { verdict: 'down', cause: 'UPSTREAM_RESET', text: `it answered something that is not HTTP (${code})` };
  return { verdict: 'down', cause: 'UPSTREAM_CONNECT', text: `could not be reached (${r.error ?? code})` };
}
