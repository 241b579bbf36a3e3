// OpenAI Responses (`/v1/responses`): the Codex CLI and newer SDK scripts; typed events, no `[DONE]`, continuations bound to one key.

import type { Cause } from '../outcomes';
import { BodyView } from './bodyView';
import { conversationKey, ConversationKey, header, OPENING_WINDOW, openingTexts } from './conversation';
import { child, count, firstNumber, firstString, lastObject } from './json';
import { classifiedOpenAiError, classifyOpenAiError, openAiErrorBody, openAiSubscriptionLogin } from './openaiShared';
import { SseData, SseReader } from './sseReader';
import { commonTraits } from './traits';
import type { ApiAdapter, Operation, ResponseWatcher, Usage, UpstreamError } from './types';

/** `input_tokens` includes the cached ones: input = input − cached. OpenAI reports no cache writes (0, not unknown). */
function responsesUsage(u: Record<string, unknown>): Usage {
  const input = count(u, 'input_tokens');
  const cached = count(child(u, 'input_tokens_details'), 'cached_tokens') ?? 0;
  return { inputTokens: input === null ? null : Math.max(0, input - cached), outputTokens: count(u, 'output_tokens'), cacheReadTokens: input === null ? null : cached, cacheWriteTokens: input === null ? null : 0 };
}

const UNKNOWN: Usage = { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null };
const OPENING = new Set(['response.created', 'response.in_progress', 'response.queued']);
const ENDS = new Set(['response.completed', 'response.incomplete']);
const WITH_DATA = new Set(['response.created', 'response.completed', 'response.incomplete', 'response.failed', 'error']);

class ResponsesWatcher implements ResponseWatcher {
  stage: 'opening' | 'content' = 'opening';
  ended: boolean;
  error: UpstreamError | undefined;
  /** The response id and the next sequence number, so a cut can write a `response.failed` that fits the stream. */
  responseId: string | undefined;
  model: string | undefined;
  nextSequence = 0;
  private readonly reader: SseReader | undefined;
  private reported: Usage | undefined;
  private bodyHead = '';
  private bodyTail = '';

  constructor(private readonly op: Operation, eventStream: boolean) {
    this.ended = !eventStream;
    if (eventStream) this.reader = new SseReader((name) => WITH_DATA.has(name), (name, data) => this.onEvent(name, data));
    else this.stage = 'content';
  }

  feed(chunk: Buffer): void {
    if (this.reader) {
      this.reader.feed(chunk);
      return;
    }
    if (this.bodyHead.length < 2048) this.bodyHead += chunk.toString('utf8', 0, Math.min(chunk.length, 2048));
    this.bodyTail = (this.bodyTail + chunk.toString('utf8')).slice(-16 * 1024);
  }

  finish(): void {
    if (this.reader) {
      this.reader.finish();
      return;
    }
    if (this.op.reportsUsage) {
      const usage = lastObject(this.bodyTail, 'usage');
      if (usage) this.reported = responsesUsage(usage);
    }
    this.responseId = firstString(this.bodyHead, 'id');
    this.model = firstString(this.bodyHead, 'model');
    if (firstString(this.bodyHead, 'status') === 'failed') this.error = classifiedOpenAiError(lastObject(this.bodyTail, 'error'), 'UPSTREAM_5XX');
  }

  usage(): Usage | undefined {
    return this.op.reportsUsage ? (this.reported ?? UNKNOWN) : undefined;
  }

  private onEvent(name: string, data: SseData | undefined): void {
    if (!OPENING.has(name)) this.stage = 'content';
    this.nextSequence++;
    if (ENDS.has(name)) this.ended = true;
    if (!data) return;
    const seq = firstNumber(data.text.slice(0, 200), 'sequence_number');
    if (seq !== undefined) this.nextSequence = seq + 1;
    if (name === 'response.created') {
      this.responseId = firstString(data.text, 'id');
      this.model = firstString(data.text, 'model');
    }
    if (name === 'error') {
      // A bare error event: Codex ignores it, so it is recorded, and the stream's end decides the rest.
      this.error = classifiedOpenAiError(parsed(data.text), 'UPSTREAM_5XX', false);
      return;
    }
    const response = lastObject(data.text, 'response') ?? {};
    const usage = child(response, 'usage') ?? lastObject(data.text, 'usage');
    if (usage && this.op.reportsUsage) this.reported = responsesUsage(usage);
    if (name === 'response.failed') this.error = classifiedOpenAiError(child(response, 'error') ?? lastObject(data.text, 'error'), 'UPSTREAM_5XX');
  }
}

/** The event's JSON object, or undefined for a truncated or garbled one. */
function parsed(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The response id a continuation path names: `/v1/responses/{id}`, `/v1/responses/{id}/cancel`, `…/input_items`. */
const CONTINUATION_PATH = /^(?:\/v1)?\/responses\/(resp_[\w-]+|[\w-]{8,})(?:\/(?:cancel|input_items))?$/;

/** The Responses `code` the proxy writes when it cuts a stream: neutral and retryable, so Codex tries again. */
function cutCode(cause: Cause): string {
  if (cause === 'RATE_LIMITED' || cause === 'KEYS_COOLING') return 'rate_limit_exceeded';
  return 'server_error';
}

/**
 * The conversation a Responses turn belongs to, strongest signal first (what each client sends, as
 * captured from the real binaries):
 * - Codex 0.169 sends `thread-id` and `session-id` headers (hyphenated; older versions spelled them with
 *   an underscore) equal to the thread's UUID on every request, and `prompt_cache_key` = the thread id in
 *   the body; child threads share the session id but have their own thread id (and their own prompts).
 *   Codex signed in with ChatGPT compresses its body (zstd), so only the headers can be read then.
 *   (`x-client-request-id` also equals the thread id; it is not a per-request id.)
 * - SDK scripts: `prompt_cache_key`, then `user`;
 * - anything else: `instructions` and the first input items, read as text.
 */
function responsesConversation(body: BodyView, headers: Parameters<ApiAdapter['traits']>[2]): ConversationKey | undefined {
  const thread = header(headers, 'thread-id') ?? header(headers, 'thread_id');
  if (thread) return conversationKey('openai', 'codex thread-id', thread);
  const session = header(headers, 'session-id') ?? header(headers, 'session_id');
  if (session) return conversationKey('openai', 'codex session-id', session);
  const cacheKey = body.string('prompt_cache_key');
  if (cacheKey) return conversationKey('openai', 'prompt_cache_key', cacheKey);
  const user = body.string('user');
  if (user) return conversationKey('openai', 'user', user);
  const opening = [...openingTexts(body.after('instructions', OPENING_WINDOW)), '\u0000', ...openingTexts(body.after('input', OPENING_WINDOW), 2)].join('\n');
  return opening.length > 1 ? conversationKey('openai', 'opening hash', opening) : undefined;
}

/** The body with reasoning items (their encrypted content is bound to the account that made them) dropped from `input`. */
function withoutReasoning(body: Buffer): Buffer | undefined {
  let parsed: { input?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed.input)) return undefined;
  const kept = parsed.input.filter((item: { type?: unknown }) => item?.type !== 'reasoning');
  if (kept.length === parsed.input.length) return undefined;
  parsed.input = kept;
  return Buffer.from(JSON.stringify(parsed));
}

export const openaiResponses: ApiAdapter = {
  name: 'openai-responses',
  family: 'openai',

  operation(method, pathname) {
    const path = pathname.startsWith('/v1/') ? pathname : `/v1${pathname}`;
    if (path === '/v1/responses') return method === 'POST' ? RESPONSES : undefined;
    // Codex's compaction replays the conversation, encrypted reasoning included: bound to the key that made it.
    if (path === '/v1/responses/compact') return method === 'POST' ? COMPACT : undefined;
    if (path === '/v1/responses/input_tokens') return method === 'POST' ? INPUT_TOKENS : undefined;
    if (CONTINUATION_PATH.test(path)) return CONTINUATION;
    return undefined;
  },

  traits(op, raw, headers, pathname) {
    const body = new BodyView(raw);
    const fromPath = op === CONTINUATION ? CONTINUATION_PATH.exec(pathname.startsWith('/v1/') ? pathname : `/v1${pathname}`)?.[1] : undefined;
    // With `store: false` (Codex) nothing was stored to continue from, so the body is not searched for it.
    const previous = op === RESPONSES && !/^\s*:\s*false/.test(body.after('store', 16) ?? '') ? body.string('previous_response_id', 200) : undefined;
    const conversation = op === RESPONSES || op === COMPACT ? responsesConversation(body, headers) : undefined;
    return { ...commonTraits(body, headers), continuation: fromPath ?? previous, conversation, boundState: () => body.containsKey('encrypted_content') };
  },

  rejectsBoundState(status, bodyText) {
    return status === 400 && /invalid_encrypted_content|encrypted content/i.test(bodyText);
  },

  stripBoundState(body) {
    return withoutReasoning(body);
  },

  watch(op, eventStream) {
    return new ResponsesWatcher(op, eventStream);
  },

  classifyError: classifyOpenAiError,
  errorBody: openAiErrorBody,

  cutStream(watcher, cause, message, retryAfterS) {
    const w = watcher as ResponsesWatcher;
    const text = cause === 'RATE_LIMITED' && retryAfterS !== undefined ? `${message} Please try again in ${retryAfterS}s.` : message;
    const response = { id: w.responseId ?? 'resp_switchyard', object: 'response', status: 'failed', error: { code: cutCode(cause), message: text }, incomplete_details: null, output: [], usage: null };
    return `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', sequence_number: w.nextSequence, response })}\n\n`;
  },

  subscriptionLogin: openAiSubscriptionLogin,

  livenessProbeBody(op, model) {
    // 16 is the smallest max_output_tokens the API accepts; store: false leaves nothing behind on the account.
    return op === RESPONSES ? JSON.stringify({ model, input: 'ping', max_output_tokens: 16, stream: true, store: false }) : undefined;
  },
};

// Defined after the adapter they point back to; only read once requests arrive.
const RESPONSES: Operation = { api: openaiResponses, name: 'responses', failover: 'full', notFoundTriesElsewhere: false, reportsUsage: true };
const CONTINUATION: Operation = { api: openaiResponses, name: 'responses.continuation', failover: 'single-target', notFoundTriesElsewhere: false, reportsUsage: false };
const COMPACT: Operation = { api: openaiResponses, name: 'responses.compact', failover: 'single-target', notFoundTriesElsewhere: false, reportsUsage: true };
const INPUT_TOKENS: Operation = { api: openaiResponses, name: 'responses.input_tokens', failover: 'full', notFoundTriesElsewhere: true, reportsUsage: false };
