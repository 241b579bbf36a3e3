// Turns what the upstream did (a status, a socket error, a broken body) into a cause of the outcome table.

import { Cause } from './outcomes';

/** A deadline of ours ran out; its code says which. */
export class DeadlineError extends Error {
  constructor(readonly code: 'FIRST_BYTE_TIMEOUT' | 'IDLE_TIMEOUT', ms: number, message?: string) {
    super(message ?? (code === 'FIRST_BYTE_TIMEOUT' ? `no response within ${ms} ms` : `no data for ${ms} ms`));
    this.name = 'DeadlineError';
  }
}

/** Classifies an upstream HTTP status seen before any body byte. */
export function causeOfStatus(status: number): Cause {
  if (status === 429) return 'RATE_LIMITED';
  if (status === 401) return 'KEY_INVALID';
  if (status === 403) return 'KEY_FORBIDDEN';
  if (status === 529) return 'OVERLOADED';
  if (status >= 500) return 'UPSTREAM_5XX';
  if (status >= 400) return 'CLIENT_ERROR';
  return 'OK';
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ECONNABORTED']);
const CONNECT_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 5; depth++) {
    const e = cur as { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof e.code === 'string') codes.push(e.code);
    if (Array.isArray(e.errors)) for (const inner of e.errors) codes.push(...errorCodes(inner));
    cur = e.cause;
  }
  return codes;
}

/** Whether an error is a TLS failure (handshake, certificate, protocol). */
export function isTlsError(err: unknown): boolean {
  return errorCodes(err).some((c) => c.startsWith('ERR_TLS') || c.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO/.test(c));
}

/** Classifies an error thrown before any response header arrived. */
export function causeOfError(err: unknown): Cause {
  const codes = errorCodes(err);
  if (codes.includes('FIRST_BYTE_TIMEOUT') || codes.includes('UND_ERR_HEADERS_TIMEOUT') || codes.includes('IDLE_TIMEOUT')) return 'UPSTREAM_TIMEOUT';
  if (isTlsError(err)) return 'UPSTREAM_TLS';
  if (codes.some((c) => DNS_CODES.has(c))) return 'UPSTREAM_DNS';
  if (codes.some((c) => CONNECT_TIMEOUT_CODES.has(c))) return 'UPSTREAM_CONNECT_TIMEOUT';
  if (codes.some((c) => CONNECT_CODES.has(c))) return 'UPSTREAM_CONNECT';
  if (codes.some((c) => RESET_CODES.has(c))) return 'UPSTREAM_RESET';
  // llhttp parse errors: the upstream answered with something that is not valid HTTP.
  if (codes.some((c) => c.startsWith('HPE_'))) return 'UPSTREAM_5XX';
  return 'UPSTREAM_CONNECT';
}

/** Classifies an error thrown while the response body was being relayed. */
export function causeOfBodyError(err: unknown): Cause {
  const codes = errorCodes(err);
  if (codes.includes('IDLE_TIMEOUT') || codes.includes('UND_ERR_BODY_TIMEOUT')) return 'STREAM_STALLED';
  return 'STREAM_RESET';
}

/** A short, key-free description of an error for logs and attempt traces. */
export function describeError(err: unknown): string {
  const codes = errorCodes(err);
  const message = err instanceof Error ? err.message : String(err);
  return codes.length > 0 ? `${codes[0]}: ${message}` : message;
}

/**
 * A status's cause refined by what its error body says: out of credit is the key's whatever the
 * status; an overload or rate limit sent as 400 (or an overload as 500) is still one. A body never
 * turns a failure into the client's fault or one failure into an unrelated one.
 */
export function refinedByBody(statusCause: Cause, bodyCause: Cause): Cause {
  if (bodyCause === statusCause || bodyCause === 'KEY_NO_QUOTA') return bodyCause;
  if (bodyCause === 'OVERLOADED' && (statusCause === 'UPSTREAM_5XX' || statusCause === 'CLIENT_ERROR')) return bodyCause;
  if (bodyCause === 'RATE_LIMITED' && statusCause === 'CLIENT_ERROR') return bodyCause;
  return statusCause;
}
