// Error responses written by the proxy itself, in the protocol's own error shape, with the attempt trace.

import { Protocol } from './config';
import { AttemptRecord } from './log';

/** Anthropic error `type` for a status the proxy answers with. */
function anthropicType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** One attempt in words: `relay …a1b2: 503 UPSTREAM_5XX in 12 ms`. */
export function describeAttempt(a: AttemptRecord): string {
  const status = a.status !== null ? `${a.status} ` : '';
  const detail = a.detail ? ` (${a.detail})` : '';
  return `${a.endpoint}${a.key ? ` ${a.key}` : ''}: ${status}${a.cause}${detail} in ${a.ms} ms`;
}

/** The JSON body of an error the proxy answers with. */
export function errorBody(protocol: Protocol, status: number, code: string, message: string, attempts: AttemptRecord[] = []): string {
  const trace = attempts.length > 0 ? ` Attempts: ${attempts.map((a, i) => `${i + 1}) ${describeAttempt(a)}`).join('; ')}.` : '';
  const full = `Switchyard: ${/[.!?]$/.test(message) ? message : `${message}.`}${trace}`;
  const switchyard = { code, attempts };
  if (protocol === 'anthropic') {
    return JSON.stringify({ type: 'error', error: { type: anthropicType(status), message: full }, switchyard });
  }
  return JSON.stringify({ error: { message: full, type: status >= 500 ? 'upstream_error' : 'invalid_request_error', code }, switchyard });
}
