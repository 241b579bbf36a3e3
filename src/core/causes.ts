// The small vocabulary of outcomes that logs, stats, the tree and diagnostics all share.

/** Stable codes for what happened on one attempt (or to a whole request). */
export type Cause =
  | 'OK'
  | 'CLIENT_ERROR'
  | 'RATE_LIMITED'
  | 'KEY_INVALID'
  | 'OVERLOADED'
  | 'UPSTREAM_5XX'
  | 'UPSTREAM_CONNECT'
  | 'UPSTREAM_DNS'
  | 'UPSTREAM_TLS'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_RESET'
  | 'STALE_SOCKET'
  | 'EMPTY_RESPONSE'
  | 'STREAM_INCOMPLETE'
  | 'STREAM_RESET'
  | 'STREAM_STALLED'
  | 'TOTAL_TIMEOUT'
  | 'CLIENT_ABORTED'
  | 'BUDGET_EXHAUSTED'
  | 'KEYS_COOLING'
  | 'KEYS_INVALID'
  | 'NO_ENDPOINT';

export interface CauseInfo {
  /** Whether the outcome counts against the endpoint's health. */
  endpointFailure: boolean;
  /** Plain words for logs and tooltips. */
  label: string;
}

export const CAUSES: Record<Cause, CauseInfo> = {
  OK: { endpointFailure: false, label: 'ok' },
  CLIENT_ERROR: { endpointFailure: false, label: 'client error passed through' },
  RATE_LIMITED: { endpointFailure: false, label: 'rate limited (key cooling down)' },
  KEY_INVALID: { endpointFailure: false, label: 'key rejected (401/403)' },
  OVERLOADED: { endpointFailure: true, label: 'upstream overloaded (529)' },
  UPSTREAM_5XX: { endpointFailure: true, label: 'upstream server error' },
  UPSTREAM_CONNECT: { endpointFailure: true, label: 'could not connect' },
  UPSTREAM_DNS: { endpointFailure: true, label: 'host name did not resolve' },
  UPSTREAM_TLS: { endpointFailure: true, label: 'TLS handshake or certificate failed' },
  UPSTREAM_TIMEOUT: { endpointFailure: true, label: 'no response before the first-byte deadline' },
  UPSTREAM_RESET: { endpointFailure: true, label: 'connection reset before any response' },
  STALE_SOCKET: { endpointFailure: false, label: 'pooled connection closed on reuse' },
  EMPTY_RESPONSE: { endpointFailure: true, label: 'empty 2xx response' },
  STREAM_INCOMPLETE: { endpointFailure: true, label: 'stream ended without its final event' },
  STREAM_RESET: { endpointFailure: true, label: 'connection reset mid-response' },
  STREAM_STALLED: { endpointFailure: true, label: 'response stalled past the idle deadline' },
  TOTAL_TIMEOUT: { endpointFailure: false, label: 'request exceeded the total time limit' },
  CLIENT_ABORTED: { endpointFailure: false, label: 'client went away' },
  BUDGET_EXHAUSTED: { endpointFailure: false, label: 'retry budget exhausted' },
  KEYS_COOLING: { endpointFailure: false, label: 'every key is cooling down' },
  KEYS_INVALID: { endpointFailure: false, label: 'no valid key left' },
  NO_ENDPOINT: { endpointFailure: false, label: 'every endpoint of the active cluster is disabled' },
};

/** A deadline of ours ran out; its code says which. */
export class DeadlineError extends Error {
  constructor(readonly code: 'FIRST_BYTE_TIMEOUT' | 'IDLE_TIMEOUT', ms: number) {
    super(code === 'FIRST_BYTE_TIMEOUT' ? `no response within ${ms} ms` : `no data for ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/** Classifies an upstream HTTP status seen before any body byte. */
export function causeOfStatus(status: number): Cause {
  if (status === 429) return 'RATE_LIMITED';
  if (status === 401 || status === 403) return 'KEY_INVALID';
  if (status === 529) return 'OVERLOADED';
  if (status >= 500) return 'UPSTREAM_5XX';
  if (status >= 400) return 'CLIENT_ERROR';
  return 'OK';
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'ECONNABORTED']);
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
