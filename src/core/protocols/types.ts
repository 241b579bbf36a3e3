// The contract every wire-API adapter fulfils: its operations, what it reads from requests and responses, and how it words errors.

import type { IncomingHttpHeaders } from 'node:http';
import type { Protocol } from '../config';
import type { AttemptRecord } from '../log';
import type { Cause } from '../outcomes';
import type { ConversationKey } from './conversation';

/** A protocol family: which cluster a request belongs to. */
export type Family = Protocol;

/** The wire APIs the proxy understands, plus plain pass-through for the rest of a family's paths. */
export type ApiName = 'anthropic-messages' | 'openai-chat' | 'openai-responses' | 'passthrough';

/**
 * How far a request may fail over:
 * - `full`: any retryable outcome tries another key or endpoint;
 * - `unsent-only`: only when the request never reached an upstream (connect, DNS, TLS, stale socket),
 *   because it may have side effects (an unknown POST);
 * - `single-target`: one target, whose own answer passes through (continuations bound to one key).
 */
export type FailoverPolicy = 'full' | 'unsent-only' | 'single-target';

/** Tokens as the upstream reported them; null where it did not say (a broken stream), never a guess. */
export interface Usage {
  /** Input tokens without cache reads and writes (as Anthropic counts them). */
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  /** All cache writes; `cacheWrite1hTokens` of them at the one-hour lifetime (priced higher). */
  cacheWriteTokens: number | null;
  cacheWrite1hTokens?: number | null;
}

/** One operation of a wire API, as a request path names it. */
export interface Operation {
  readonly api: ApiAdapter;
  /** e.g. `messages`, `count_tokens`, `chat.completions`, `responses`, `responses.continuation`, `passthrough`. */
  readonly name: string;
  readonly failover: FailoverPolicy;
  /** A 404 means this endpoint lacks the path: try another before passing the 404 through. */
  readonly notFoundTriesElsewhere: boolean;
  /** Its answers report token usage (a token count is not usage). */
  readonly reportsUsage: boolean;
}

/** What the proxy needs to know of one request, read from a bounded window of its body and its headers. */
export interface RequestTraits {
  stream: boolean;
  model: string | undefined;
  /** The most output the request allows (`max_tokens`, `max_output_tokens`…); bounds how long a non-streaming answer can take. */
  maxOutputTokens?: number;
  /** The request continues a response made on one key (`previous_response_id`, `/v1/responses/{id}`…). */
  continuation: string | undefined;
  /** The conversation this turn belongs to (affinity keeps it on one endpoint × key, so prompt caches hit). */
  conversation?: ConversationKey;
  /** Whether the body carries state bound to the account that made it (thinking signatures, encrypted reasoning); asked only when a pinned turn must move. */
  boundState?: () => boolean;
}

/** An error the upstream reported inside a response body or stream, already classified. */
export interface UpstreamError {
  cause: Cause;
  /** The provider's own code or type (`overloaded_error`, `context_length_exceeded`, …). */
  code: string | undefined;
  message: string;
  /** The protocol ends the stream with this error (Anthropic `error`, `response.failed`); a bare Responses `error` event does not. */
  final: boolean;
}

/**
 * Watches one answered response (its body as it is relayed): whether it is still in its opening
 * frames, whether it reached its proper end, what error it reported, and the usage it carried.
 */
export interface ResponseWatcher {
  feed(chunk: Buffer): void;
  /** The body ended (flushes a last event that had no blank line after it). */
  finish(): void;
  /** `opening` while only opening frames (message_start, ping, response.created…) were seen. */
  readonly stage: 'opening' | 'content';
  /** The response reached its proper end (always true for a body without an end rule). */
  readonly ended: boolean;
  readonly error: UpstreamError | undefined;
  /** Usage so far; undefined when the operation reports none or nothing was read yet. */
  usage(): Usage | undefined;
  /** The model the response names (`claude-sonnet-4-5-20250929` for a request that asked for an alias), when seen. */
  readonly model?: string;
  /** The id of the response made (Responses API), so a continuation can find the key that made it. */
  readonly responseId?: string;
}

/** One wire API: the only place that knows its paths, its stream ends, its error shapes and its usage. */
export interface ApiAdapter {
  readonly name: ApiName;
  readonly family: Family;
  /** The operation a request is, or undefined when this API has no such path. */
  operation(method: string, pathname: string): Operation | undefined;
  traits(op: Operation, body: Buffer | null, headers: IncomingHttpHeaders, pathname: string): RequestTraits;
  /** A watcher for a 2xx answer of `op`. */
  watch(op: Operation, eventStream: boolean): ResponseWatcher;
  /** Refines the cause of an upstream error answer from its body (e.g. a 429 `insufficient_quota` is the key's quota, not a rate limit). */
  classifyError(status: number, cause: Cause, bodyText: string): Cause;
  /** The JSON body of an error the proxy answers with itself, with the attempt trace. */
  errorBody(status: number, code: string, message: string, attempts: readonly AttemptRecord[]): string;
  /** The event written when the proxy must cut a stream after its first byte (never a clean-looking end). */
  cutStream(watcher: ResponseWatcher, cause: Cause, message: string, retryAfterS?: number): string;
  /** Why the client's own credentials look like a subscription login (ChatGPT, Claude) rather than an API key. */
  subscriptionLogin(headers: IncomingHttpHeaders): string | undefined;
  /** Whether an error answer says the body's account-bound state was refused (another account's signatures, encrypted reasoning). */
  rejectsBoundState?(status: number, bodyText: string): boolean;
  /** The body without its account-bound state, or undefined when it holds none; only for a turn that had to move to another account. */
  stripBoundState?(body: Buffer): Buffer | undefined;
  /**
   * The body of the smallest streaming request of `op` for `model` (one output token), sent to the
   * request's own path as a liveness probe (liveness.ts); undefined where the API has none.
   */
  livenessProbeBody?(op: Operation, model: string): string | undefined;
}
