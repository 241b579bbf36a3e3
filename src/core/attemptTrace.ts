// The attempt trace in words, shared by every protocol's error bodies and the log.

import type { AttemptRecord } from './log';

/** One attempt in words: `relay …a1b2: 503 UPSTREAM_5XX in 12 ms`. */
export function describeAttempt(a: AttemptRecord): string {
  const status = a.status !== null ? `${a.status} ` : '';
  const detail = a.detail ? ` (${a.detail})` : '';
  return `${a.endpoint}${a.key ? ` ${a.key}` : ''}: ${status}${a.cause}${detail} in ${a.ms} ms`;
}

/** The message of an error the proxy answers with: `Switchyard: …. Attempts: 1) …; 2) ….` */
export function proxyMessage(message: string, attempts: readonly AttemptRecord[]): string {
  const trace = attempts.length > 0 ? ` Attempts: ${attempts.map((a, i) => `${i + 1}) ${describeAttempt(a)}`).join('; ')}.` : '';
  return `Switchyard: ${/[.!?]$/.test(message) ? message : `${message}.`}${trace}`;
}
