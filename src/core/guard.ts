// The door check: loopback Host only (DNS rebinding), no cross-origin browser calls, the optional local client key.

import { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

export interface GuardVerdict {
  status: number;
  code: string;
  message: string;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1).toLowerCase();
  const colon = hostHeader.lastIndexOf(':');
  return (colon === -1 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

export function isLoopbackHost(name: string): boolean {
  return LOOPBACK_NAMES.has(name) || /^127(\.\d{1,3}){3}$/.test(name) || name.endsWith('.localhost');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function presentedClientKey(h: IncomingHttpHeaders): string | undefined {
  const own = h['x-switchyard-key'];
  if (typeof own === 'string') return own;
  const auth = h.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const apiKey = h['x-api-key'];
  return typeof apiKey === 'string' ? apiKey : undefined;
}

/**
 * Returns why a request must be refused, or undefined to let it in.
 * `boundHost` is where the server listens; a non-loopback bind means the user opted into remote Host names.
 */
export function checkRequest(h: IncomingHttpHeaders, boundHost: string, allowedOrigins: readonly string[], clientKey: string | undefined): GuardVerdict | undefined {
  const host = h.host;
  if (isLoopbackHost(boundHost.replace(/^\[|\]$/g, ''))) {
    if (!host || !isLoopbackHost(hostName(host))) {
      return { status: 403, code: 'FORBIDDEN_HOST', message: `Host ${JSON.stringify(host ?? '')} is not a loopback name; Switchyard only answers requests addressed to localhost (DNS rebinding protection).` };
    }
  }
  const origin = h.origin;
  const crossSite = h['sec-fetch-site'] === 'cross-site';
  // The proxy's own pages (the dashboard) call it from its own origin.
  const ownOrigin = typeof origin === 'string' && host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
  if (!ownOrigin && ((typeof origin === 'string' && origin !== 'null' && !allowedOrigins.includes(origin)) || origin === 'null' || (crossSite && !origin))) {
    return { status: 403, code: 'FORBIDDEN_ORIGIN', message: `cross-origin browser requests are refused (Origin ${JSON.stringify(origin ?? 'unknown')}); add it to allowedOrigins to permit it.` };
  }
  if (clientKey) {
    const presented = presentedClientKey(h);
    if (!presented || !sameSecret(presented, clientKey)) {
      return { status: 401, code: 'CLIENT_KEY_REQUIRED', message: 'this Switchyard requires its client key in the x-switchyard-key header.' };
    }
  }
  return undefined;
}
