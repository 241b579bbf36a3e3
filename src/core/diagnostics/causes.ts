// The stable cause codes every diagnostic check ends in, shared by the CLI, the JSON report and the VS Code views.

/** Every code a check may report; `OK` for a check that found nothing wrong. Never renamed, only added to. */
export const DIAGNOSTIC_CAUSES = [
  'OK',
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
  'CLUSTER_EMPTY',
  'URL_INVALID',
  'PROTOCOL_UNKNOWN',
  'NAME_DUPLICATE',
  'ACTIVE_CLUSTER_MISSING',
  'KEY_MISSING',
  // One endpoint, step by step.
  'DNS_FAILED',
  'CONNECT_REFUSED',
  'CONNECT_TIMEOUT',
  'CONNECT_FAILED',
  'TLS_UNTRUSTED_CERT',
  'TLS_CERT_EXPIRED',
  'TLS_CERT_EXPIRING',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_HANDSHAKE_TIMEOUT',
  'TLS_HANDSHAKE_FAILED',
  'KEY_INVALID',
  'KEY_FORBIDDEN',
  'WRONG_BASE_PATH',
  'RATE_LIMITED',
  'OVERLOADED',
  'SERVER_ERROR',
  'UNEXPECTED_STATUS',
  'HTTP_TIMEOUT',
  'HTTP_FAILED',
  'SLOW_ENDPOINT',
  // The clients' environment.
  'BASE_URL_NOT_SET',
  'BASE_URL_ELSEWHERE',
  'PROXY_ENV_INTERCEPTS_LOCALHOST',
  'CLIENT_TIMEOUT_TOO_SHORT',
  // Recent history from the request log (live codes above are reused where they mean the same).
  'STREAM_STALLS',
  'STREAM_INCOMPLETE',
  'STREAM_RESET',
  'FIRST_BYTE_TIMEOUT',
  'CONNECTION_RESET',
  'EMPTY_RESPONSE',
  'TOTAL_TIMEOUT',
  'RETRY_BUDGET_EXHAUSTED',
  'ALL_KEYS_COOLING',
  'NO_VALID_KEY',
  'RECENT_FAILURES',
  'REQUEST_LOG_UNREADABLE',
  // A check that threw instead of answering (a bug, reported rather than losing the whole report).
  'CHECK_CRASHED',
] as const;

export type DiagnosticCause = (typeof DIAGNOSTIC_CAUSES)[number];
