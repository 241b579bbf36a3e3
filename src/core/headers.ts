// Header hygiene for both directions: hop-by-hop headers stripped, auth swapped for the chosen key.

import { AuthStyle } from './config';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const AUTH = new Set(['authorization', 'x-api-key', 'api-key']);
/**
 * Headers the proxy sets itself or that belong to the client-proxy hop only. `accept-encoding` is
 * replaced by `identity`: the proxy must read SSE events and error bodies, which it cannot in gzip.
 */
const REQUEST_OWN = new Set(['host', 'content-length', 'x-switchyard-key', 'expect', 'accept-encoding']);

const NONE_LISTED: ReadonlySet<string> = new Set();

function connectionListed(value: string | undefined): ReadonlySet<string> {
  // The usual values name no extra headers; skip the split for them.
  if (!value || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive') return NONE_LISTED;
  return new Set(value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** The header that carries a key to an endpoint: `Authorization: Bearer` or `x-api-key`. */
export function authHeader(key: string, auth: AuthStyle): [name: string, value: string] {
  return auth === 'bearer' ? ['authorization', `Bearer ${key}`] : ['x-api-key', key];
}

/** Headers for the upstream request, from the client's raw header list. `key` undefined passes client auth through. */
export function upstreamRequestHeaders(rawHeaders: string[], key: string | undefined, auth: AuthStyle, bodyLength: number | null): string[] {
  let connection: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === 'connection') connection = rawHeaders[i + 1];
  const listed = connectionListed(connection);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || REQUEST_OWN.has(name) || listed.has(name)) continue;
    if (key !== undefined && AUTH.has(name)) continue;
    out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  if (key !== undefined) out.push(...authHeader(key, auth));
  if (bodyLength !== null) out.push('content-length', String(bodyLength));
  out.push('accept-encoding', 'identity');
  return out;
}

/**
 * Response headers safe to pass to the client, and the proxy's own, as the flat name/value list
 * `writeHead` takes as it is (no object to build and walk again).
 */
export function clientResponseHeaderList(headers: Record<string, string | string[] | undefined>, extra: Record<string, string>): string[] {
  const listed = connectionListed(typeof headers.connection === 'string' ? headers.connection : undefined);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || Object.hasOwn(extra, name)) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  for (const name in extra) out.push(name, extra[name]);
  return out;
}
