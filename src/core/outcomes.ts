// The one outcome table: for each cause, whose health it touches, how the pipeline retries, what the client gets and how it is shown.

/** Stable codes for what happened on one attempt or to a whole request; logs, stats, the tree and diagnostics all use them. */
export type Cause =
  | 'OK'
  | 'CLIENT_ERROR'
  | 'BOUND_STATE_REJECTED'
  | 'PATH_NOT_FOUND'
  | 'RATE_LIMITED'
  | 'KEY_INVALID'
  | 'KEY_FORBIDDEN'
  | 'KEY_NO_QUOTA'
  | 'OVERLOADED'
  | 'UPSTREAM_5XX'
  | 'UPSTREAM_CONNECT'
  | 'UPSTREAM_CONNECT_TIMEOUT'
  | 'UPSTREAM_DNS'
  | 'UPSTREAM_TLS'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_RESET'
  | 'STALE_SOCKET'
  | 'EMPTY_RESPONSE'
  | 'STREAM_INCOMPLETE'
  | 'STREAM_RESET'
  | 'STREAM_STALLED'
  | 'STREAM_UPSTREAM_ERROR'
  | 'TOTAL_TIMEOUT'
  | 'CLIENT_ABORTED'
  | 'HEDGE_CANCELLED'
  | 'BUDGET_EXHAUSTED'
  | 'KEYS_COOLING'
  | 'KEYS_INVALID'
  | 'NO_ENDPOINT'
  | 'NO_CLUSTER'
  | 'BODY_TOO_LARGE'
  | 'FORBIDDEN_HOST'
  | 'FORBIDDEN_ORIGIN'
  | 'CLIENT_KEY_REQUIRED'
  | 'WEBSOCKET_UNSUPPORTED'
  | 'INTERNAL_ERROR';

/**
 * Whose health an outcome touches: the endpoint's (connection failures, 5xx, broken streams), the
 * key's (429, 401/403, no quota), the client's (its request was refused; the endpoint is alive), or
 * nobody's (the client left, a stale pooled socket, the proxy's own refusals).
 */
export type Scope = 'endpoint' | 'key' | 'client' | 'none';

/**
 * What the attempt loop does next: the same target on a new connection, the same target once more
 * without the state another account made, another key, another endpoint, or stop.
 */
export type RetryAction = 'fresh-socket' | 'strip-state' | 'next-key' | 'next-endpoint' | 'never';

/** What a key-scoped outcome does to the key. */
export type KeyEffect = 'cool' | 'invalidate';

export interface OutcomeInfo {
  scope: Scope;
  retry: RetryAction;
  keyEffect?: KeyEffect;
  /** The status of the proxy's own answer when this ends a request; `upstream` when the upstream's answer passes through. */
  clientStatus: number | 'upstream';
  /** Whether the request failed (stats' failed count, the "errors" filter, the status bar). */
  failure: boolean;
  /** Whether the request may have reached the upstream (a POST with side effects then must not be sent again). */
  reachedUpstream: boolean;
  level: 'info' | 'warn' | 'error';
  /**
   * A first-byte timeout: at a conclusive deadline (the endpoint's learned one, or the configured
   * limit) one is enough to open the circuit, and only a generated answer closes it again.
   */
  stall?: boolean;
  /** A few plain words for logs, tooltips and reports. */
  label: string;
  /** What to do about it, for tooltips and diagnostics. */
  hint: string;
}

const endpointFault = (label: string, hint: string, clientStatus = 502, reachedUpstream = true): OutcomeInfo => ({
  scope: 'endpoint',
  retry: 'next-endpoint',
  clientStatus,
  failure: true,
  reachedUpstream,
  level: 'warn',
  label,
  hint,
});

const streamFault = (label: string, hint: string): OutcomeInfo => ({ ...endpointFault(label, hint), retry: 'never', clientStatus: 'upstream' });

const refusal = (clientStatus: number, label: string, hint: string): OutcomeInfo => ({
  scope: 'none',
  retry: 'never',
  clientStatus,
  failure: true,
  reachedUpstream: false,
  level: 'warn',
  label,
  hint,
});

export const OUTCOMES: Record<Cause, OutcomeInfo> = {
  OK: { scope: 'endpoint', retry: 'never', clientStatus: 'upstream', failure: false, reachedUpstream: true, level: 'info', label: 'ok', hint: '' },
  CLIENT_ERROR: {
    scope: 'client',
    retry: 'never',
    clientStatus: 'upstream',
    failure: false,
    reachedUpstream: true,
    level: 'info',
    label: 'the upstream refused the request (passed through)',
    hint: "The client's request was refused by the upstream (400/404/413/422 or a request-level error); it is passed through unchanged and does not count against the endpoint.",
  },
  BOUND_STATE_REJECTED: {
    scope: 'client',
    retry: 'strip-state',
    clientStatus: 'upstream',
    failure: true,
    reachedUpstream: true,
    level: 'warn',
    label: 'the account refused state another account made',
    hint: 'The conversation had to move to another key (its own was rejected, ejected or cooling long), and that account refused the old one\'s thinking signatures or encrypted reasoning; the turn was retried once without them.',
  },
  PATH_NOT_FOUND: {
    scope: 'none',
    retry: 'next-endpoint',
    clientStatus: 'upstream',
    failure: false,
    reachedUpstream: true,
    level: 'info',
    label: 'this endpoint does not serve the path (404)',
    hint: 'A relay that lacks this API answered 404; another endpoint was tried, and the 404 passes through when none serves it.',
  },
  RATE_LIMITED: {
    scope: 'key',
    retry: 'next-key',
    keyEffect: 'cool',
    clientStatus: 429,
    failure: true,
    reachedUpstream: true,
    level: 'warn',
    label: 'rate limited (key cooling down)',
    hint: 'The key rests until the upstream says it may be used again; other keys and endpoints take the traffic.',
  },
  KEY_INVALID: {
    scope: 'key',
    retry: 'next-key',
    keyEffect: 'invalidate',
    clientStatus: 401,
    failure: true,
    reachedUpstream: true,
    level: 'warn',
    label: 'key rejected (401)',
    hint: 'Replace the key (Remove Key, then Add Keys); it stays unused until then or until health.invalidKeyMs passes.',
  },
  KEY_FORBIDDEN: {
    scope: 'key',
    retry: 'next-key',
    keyEffect: 'invalidate',
    clientStatus: 403,
    failure: true,
    reachedUpstream: true,
    level: 'warn',
    label: 'key not permitted (403)',
    hint: 'The key lacks access (organisation, region, model); check its permissions at the provider.',
  },
  KEY_NO_QUOTA: {
    scope: 'key',
    retry: 'next-key',
    keyEffect: 'invalidate',
    clientStatus: 429,
    failure: true,
    reachedUpstream: true,
    level: 'warn',
    label: 'key out of quota or credit',
    hint: "The key's account has no quota or credit left (insufficient_quota); top it up or remove the key.",
  },
  OVERLOADED: endpointFault('upstream overloaded (529)', 'The provider is overloaded; other endpoints take the traffic until it recovers.', 529),
  UPSTREAM_5XX: endpointFault('upstream server error', 'The endpoint answered 5xx; other endpoints take the traffic, and the circuit opens after repeated failures.'),
  UPSTREAM_CONNECT: endpointFault('could not connect', 'Nothing accepts connections at the base URL (refused or unreachable): check the URL and that the relay runs.', 502, false),
  UPSTREAM_CONNECT_TIMEOUT: endpointFault('connection timed out', 'The TCP/TLS connection did not complete within timeouts.connectMs: a firewall, a proxy that must be configured (switchyard.upstreamProxy) or a dead host.', 504, false),
  UPSTREAM_DNS: endpointFault('host name did not resolve', "The base URL's host name does not resolve: check its spelling, the network and DNS.", 502, false),
  UPSTREAM_TLS: endpointFault('TLS handshake or certificate failed', 'The certificate is not trusted or the handshake failed: a corporate TLS inspection needs caFile (or NODE_EXTRA_CA_CERTS).', 502, false),
  UPSTREAM_TIMEOUT: {
    ...endpointFault('no response before the first-byte deadline', 'The endpoint accepted the request but did not answer in time (its learned first-byte deadline, or a liveness probe got no answer either); its circuit is open until a request that generates shows it answers again.', 504),
    stall: true,
  },
  UPSTREAM_RESET: endpointFault('connection reset before any response', 'The connection was cut before any response byte; the request was tried elsewhere.'),
  STALE_SOCKET: {
    scope: 'none',
    retry: 'fresh-socket',
    clientStatus: 502,
    failure: false,
    reachedUpstream: false,
    level: 'info',
    label: 'pooled connection closed on reuse',
    hint: 'A keep-alive connection was closed by the upstream just as it was reused; retried at once on a new connection. Not a fault.',
  },
  EMPTY_RESPONSE: endpointFault('empty 2xx response', 'The endpoint answered success with no body; it was tried elsewhere.'),
  STREAM_INCOMPLETE: streamFault('stream ended without its final event', 'The upstream closed the stream before its proper end; the client got an error event. Counts against the endpoint.'),
  STREAM_RESET: streamFault('connection reset mid-response', 'The connection broke after the response began; nothing can be retried once bytes were sent.'),
  STREAM_STALLED: streamFault('response stalled past the idle deadline', 'No byte arrived within timeouts.idleMs; the stream was cut with an error event.'),
  STREAM_UPSTREAM_ERROR: streamFault('the upstream sent an error event mid-stream', 'The upstream reported a server error inside the stream; the client saw it. Counts against the endpoint.'),
  TOTAL_TIMEOUT: { ...refusal(504, 'request exceeded the total time limit', 'The request ran past timeouts.totalMs (0 = unlimited) and was cut.'), reachedUpstream: true },
  CLIENT_ABORTED: { ...refusal(499, 'client went away', 'The client closed the connection; the upstream request was aborted at once. Not a fault.'), failure: false, level: 'info', reachedUpstream: true },
  HEDGE_CANCELLED: {
    ...refusal(499, 'hedged attempt cancelled (the other answered first)', 'With retry.hedgeAfterMs on, a stream slow to start also went to another endpoint; the slower attempt was cancelled before its first byte. Not a fault (its input may still be billed).'),
    failure: false,
    level: 'info',
    reachedUpstream: true,
  },
  BUDGET_EXHAUSTED: { ...refusal(502, 'retry budget exhausted', 'Too many retries were in flight (retry.budgetRatio); the request was not retried, so an outage does not multiply the load.'), reachedUpstream: true },
  KEYS_COOLING: refusal(429, 'every key is cooling down', 'Every key of the cluster is rate limited; the answer carries the soonest retry-after. Add keys or wait.'),
  KEYS_INVALID: refusal(401, 'no valid key left', 'Every key of the cluster was rejected (401/403); replace them.'),
  NO_ENDPOINT: refusal(503, 'every endpoint of the cluster is disabled', 'Enable an endpoint or switch clusters.'),
  NO_CLUSTER: refusal(503, 'no cluster serves this API', 'Add a cluster of this protocol (anthropic or openai) or point the client elsewhere.'),
  BODY_TOO_LARGE: refusal(413, 'request body over the size cap', 'The body is larger than limits.maxBodyBytes; nothing was sent upstream.'),
  FORBIDDEN_HOST: refusal(403, 'Host is not a loopback name', 'Switchyard only answers requests addressed to localhost (DNS rebinding protection).'),
  FORBIDDEN_ORIGIN: refusal(403, 'cross-origin browser request', 'Browser pages of other origins may not call the proxy; add the origin to allowedOrigins to permit it.'),
  CLIENT_KEY_REQUIRED: refusal(401, 'client key missing or wrong', 'This Switchyard requires its client key in the x-switchyard-key header (or as the API key).'),
  WEBSOCKET_UNSUPPORTED: {
    ...refusal(426, 'WebSocket upgrade refused (HTTP only)', 'Switchyard relays HTTP and SSE, not WebSockets; a 426 makes Codex fall back to HTTP at once (it logs the fallback as an error line).'),
    failure: false,
    level: 'info',
  },
  INTERNAL_ERROR: { ...refusal(502, 'internal proxy error', 'A bug in Switchyard; the log has the stack. Please report it with Copy Redacted Report.'), level: 'error', reachedUpstream: true },
};

export function outcome(cause: Cause): OutcomeInfo {
  return OUTCOMES[cause];
}

/** Whether a string is one of the table's causes (for records read back from files and feeds). */
export function isCause(code: string): code is Cause {
  return Object.prototype.hasOwnProperty.call(OUTCOMES, code);
}

/** The label of a cause, or the code itself when it is not one (an older or newer peer's code). */
export function causeLabel(code: string): string {
  return isCause(code) ? OUTCOMES[code].label : code;
}
