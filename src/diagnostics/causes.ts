// The causes diagnostics report: the proxy's own outcome table plus what only diagnostics can find, and the codes renamed into it.

import { Cause, OUTCOMES } from '../core/outcomes';

/** Findings no proxy request produces (the proxy process, the port, the config, the clients' set-up); never a second name for a proxy cause. */
const DIAGNOSTIC_ONLY = [
  // The proxy process.
  'PROXY_NOT_RUNNING',
  'PROXY_UNRESPONSIVE',
  'EVENT_LOOP_LAG',
  'MEMORY_HIGH',
  'SOCKETS_HIGH',
  // The proxy's port.
  'PORT_HELD_BY_OTHER_SWITCHYARD',
  'PORT_IN_USE_FOREIGN',
  // The config.
  'CONFIG_INVALID',
  'CLUSTER_EMPTY',
  'URL_INVALID',
  'PROTOCOL_UNKNOWN',
  'NAME_DUPLICATE',
  'ACTIVE_CLUSTER_MISSING',
  'KEY_MISSING',
  // One endpoint: finer TLS findings than the proxy's UPSTREAM_TLS, and what a probe can tell.
  'TLS_UNTRUSTED_CERT',
  'TLS_CERT_EXPIRED',
  'TLS_CERT_EXPIRING',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_HANDSHAKE_TIMEOUT',
  'WRONG_BASE_PATH',
  'RESPONSES_API_MISSING',
  'UNEXPECTED_STATUS',
  'SLOW_ENDPOINT',
  // The clients' environment.
  'BASE_URL_NOT_SET',
  'BASE_URL_ELSEWHERE',
  'CODEX_NOT_POINTED',
  'CODEX_POINTED_ELSEWHERE',
  'SUBSCRIPTION_LOGIN',
  'PROXY_ENV_INTERCEPTS_LOCALHOST',
  'CLIENT_TIMEOUT_TOO_SHORT',
  // Recent history.
  'RECENT_FAILURES',
  'REQUEST_LOG_UNREADABLE',
  // A check that threw instead of answering (a bug, reported rather than losing the whole report).
  'CHECK_CRASHED',
] as const;

export type DiagnosticCause = Cause | (typeof DIAGNOSTIC_ONLY)[number];

/** Every code a check may report; `OK` for a check that found nothing wrong. */
export const DIAGNOSTIC_CAUSES: readonly DiagnosticCause[] = [...(Object.keys(OUTCOMES) as Cause[]), ...DIAGNOSTIC_ONLY];

/**
 * Codes diagnostics used before it spoke the proxy's vocabulary, and what they are now. A check that
 * finds one of them says so in `formerly`, so scripts matching the old code keep working for one release.
 */
export const RENAMED_CAUSES: Readonly<Record<string, DiagnosticCause>> = {
  DNS_FAILED: 'UPSTREAM_DNS',
  CONNECT_REFUSED: 'UPSTREAM_CONNECT',
  CONNECT_FAILED: 'UPSTREAM_CONNECT',
  CONNECT_TIMEOUT: 'UPSTREAM_CONNECT_TIMEOUT',
  TLS_HANDSHAKE_FAILED: 'UPSTREAM_TLS',
  SERVER_ERROR: 'UPSTREAM_5XX',
  HTTP_TIMEOUT: 'UPSTREAM_TIMEOUT',
  HTTP_FAILED: 'UPSTREAM_RESET',
  STREAM_STALLS: 'STREAM_STALLED',
  FIRST_BYTE_TIMEOUT: 'UPSTREAM_TIMEOUT',
  CONNECTION_RESET: 'UPSTREAM_RESET',
  RETRY_BUDGET_EXHAUSTED: 'BUDGET_EXHAUSTED',
  ALL_KEYS_COOLING: 'KEYS_COOLING',
  NO_VALID_KEY: 'KEYS_INVALID',
};
