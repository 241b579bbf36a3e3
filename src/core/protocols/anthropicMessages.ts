// Anthropic Messages (`/v1/messages`, `/v1/messages/count_tokens`): Claude Code and the Anthropic SDKs.

import type { IncomingHttpHeaders } from 'node:http';
import { proxyMessage } from '../attemptTrace';
import { refinedByBody } from '../classify';
import type { AttemptRecord } from '../log';
import type { Cause } from '../outcomes';
import { BodyView } from './bodyView';
import { conversationKey, ConversationKey, header, OPENING_WINDOW, openingTexts } from './conversation';
import { child, count, firstString, lastObject } from './json';
import { SseData, SseReader } from './sseReader';
import { bearerToken, commonTraits } from './traits';
import type { ApiAdapter, Operation, RequestTraits, ResponseWatcher, Usage, UpstreamError } from './types';

/** Anthropic's error `type` → the outcome it means. */
const ERROR_TYPES: Record<string, Cause> = {
  overloaded_error: 'OVERLOADED',
  rate_limit_error: 'RATE_LIMITED',
  api_error: 'UPSTREAM_5XX',
  timeout_error: 'UPSTREAM_5XX',
  authentication_error: 'KEY_INVALID',
  permission_error: 'KEY_FORBIDDEN',
  billing_error: 'KEY_NO_QUOTA',
  invalid_request_error: 'CLIENT_ERROR',
  not_found_error: 'CLIENT_ERROR',
  request_too_large: 'CLIENT_ERROR',
};

/** The error `type` the proxy writes for a status it answers with. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** An Anthropic error object (`{type, message}`) classified; a low credit balance is the key's, whatever its status. */
function classified(error: Record<string, unknown> | undefined, fallback: Cause): UpstreamError {
  const type = typeof error?.type === 'string' ? error.type : undefined;
  const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : 'upstream sent an error';
  let cause = (type && ERROR_TYPES[type]) || fallback;
  if (/credit balance is too low/i.test(message)) cause = 'KEY_NO_QUOTA';
  return { cause, code: type, message, final: true };
}

/** Per field, the last value the stream reported wins (message_delta repeats cumulative figures; never add them up). */
function mergeUsage(into: Usage, u: Record<string, unknown>): void {
  const input = count(u, 'input_tokens');
  const output = count(u, 'output_tokens');
  const read = count(u, 'cache_read_input_tokens');
  const write = count(u, 'cache_creation_input_tokens');
  const oneHour = count(child(u, 'cache_creation'), 'ephemeral_1h_input_tokens');
  if (input !== null) into.inputTokens = input;
  if (output !== null) into.outputTokens = output;
  if (read !== null) into.cacheReadTokens = read;
  if (write !== null) into.cacheWriteTokens = write;
  if (oneHour !== null) into.cacheWrite1hTokens = oneHour;
}

const OPENING = new Set(['message_start', 'ping']);
const WITH_DATA = new Set(['message_start', 'message_delta', 'error']);

class MessagesWatcher implements ResponseWatcher {
  stage: 'opening' | 'content' = 'opening';
  ended: boolean;
  error: UpstreamError | undefined;
  model: string | undefined;
  private readonly reader: SseReader | undefined;
  private readonly tally: Usage | undefined;
  /** A JSON body's last bytes, where its usage sits. */
  private bodyTail = '';
  private bodyHead = '';

  constructor(private readonly op: Operation, eventStream: boolean) {
    this.ended = !eventStream;
    this.tally = op.reportsUsage ? { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null } : undefined;
    if (eventStream) this.reader = new SseReader((name) => WITH_DATA.has(name), (name, data) => this.onEvent(name, data));
    else this.stage = 'content';
  }

  feed(chunk: Buffer): void {
    if (this.reader) {
      this.reader.feed(chunk);
      return;
    }
    if (!this.op.reportsUsage) return;
    if (this.bodyHead.length < 512) this.bodyHead += chunk.toString('utf8', 0, Math.min(chunk.length, 512));
    this.bodyTail = (this.bodyTail + chunk.toString('utf8')).slice(-16 * 1024);
  }

  finish(): void {
    if (this.reader) {
      this.reader.finish();
      return;
    }
    const usage = this.tally && lastObject(this.bodyTail, 'usage');
    if (usage) mergeUsage(this.tally!, usage);
    this.model = firstString(this.bodyHead, 'model');
    if (/^\s*\{\s*"type"\s*:\s*"error"/.test(this.bodyHead)) this.error = classified(lastObject(this.bodyTail, 'error'), 'UPSTREAM_5XX');
  }

  usage(): Usage | undefined {
    return this.tally;
  }

  private onEvent(name: string, data: SseData | undefined): void {
    if (!OPENING.has(name)) this.stage = 'content';
    if (name === 'message_stop') {
      this.ended = true;
      return;
    }
    if (!data) return;
    if (name === 'error') {
      this.error = classified(lastObject(data.text, 'error'), 'UPSTREAM_5XX');
      return;
    }
    if (name === 'message_start') this.model = firstString(data.text, 'model');
    if (this.tally) {
      const usage = lastObject(data.text, 'usage');
      if (usage) mergeUsage(this.tally, usage);
    }
  }
}

/**
 * The conversation a Messages turn belongs to, strongest signal first (what each client sends, as
 * captured from the real binaries):
 * - Claude Code ≥ 2.1.86 sends `X-Claude-Code-Session-Id` on every request of a session (subagents share it);
 * - Claude Code ≥ 2.1.78 puts a JSON string `{"device_id","account_uuid","session_id"}` in `metadata.user_id`,
 *   older versions `user_<hash>_account_<uuid>_session_<uuid>`;
 * - anything else: the system prompt and the first message, read as text (Claude Code resends history as
 *   a string one turn and text blocks the next, so bytes would not do). `system` may come after `messages`;
 *   only the body's bounded window is read, never the whole of a large body.
 */
function messagesConversation(body: BodyView, headers: IncomingHttpHeaders): ConversationKey | undefined {
  const session = header(headers, 'x-claude-code-session-id');
  if (session) return conversationKey('anthropic', 'x-claude-code-session-id', session);
  const userId = body.string('user_id');
  if (userId) {
    try {
      const parsed = JSON.parse(userId) as { session_id?: unknown };
      if (typeof parsed.session_id === 'string' && parsed.session_id) return conversationKey('anthropic', 'metadata.user_id session_id', parsed.session_id);
    } catch {
      // Not JSON: the older format, or an SDK user's own id.
    }
    const older = /_session_([0-9a-f-]{36})$/.exec(userId);
    if (older) return conversationKey('anthropic', 'metadata.user_id session', older[1]);
  }
  const opening = [...openingTexts(body.after('system', OPENING_WINDOW)), '\u0000', ...openingTexts(body.after('messages', OPENING_WINDOW))].join('\n');
  return opening.length > 1 ? conversationKey('anthropic', 'opening hash', opening) : undefined;
}

/** Signed thinking blocks or redacted ones: a search, not a parse, of the whole body (about a microsecond for 50 KB). */
function carriesThinking(body: BodyView): boolean {
  return body.containsKey('signature') || body.containsKey('redacted_thinking');
}

/** The body with thinking and redacted-thinking blocks dropped from every message (what users do by hand after a switch). */
function withoutThinking(body: Buffer): Buffer | undefined {
  let parsed: { messages?: { content?: unknown }[] };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  let dropped = 0;
  for (const m of parsed.messages ?? []) {
    if (!Array.isArray(m.content)) continue;
    const kept = m.content.filter((b: { type?: unknown }) => b?.type !== 'thinking' && b?.type !== 'redacted_thinking');
    dropped += m.content.length - kept.length;
    m.content = kept;
  }
  if (dropped === 0) return undefined;
  parsed.messages = (parsed.messages ?? []).filter((m) => !Array.isArray(m.content) || m.content.length > 0);
  return Buffer.from(JSON.stringify(parsed));
}

function op(name: string, notFoundTriesElsewhere: boolean, reportsUsage: boolean): Operation {
  return { api: anthropicMessages, name, failover: 'full', notFoundTriesElsewhere, reportsUsage };
}

export const anthropicMessages: ApiAdapter = {
  name: 'anthropic-messages',
  family: 'anthropic',

  operation(method, pathname) {
    if (method !== 'POST') return undefined;
    if (pathname === '/v1/messages') return MESSAGES;
    // Claude Code calls it often; a relay that lacks it answers 404, so another endpoint may serve it.
    if (pathname === '/v1/messages/count_tokens') return COUNT_TOKENS;
    return undefined;
  },

  traits(op, raw, headers): RequestTraits {
    const body = new BodyView(raw);
    if (op !== MESSAGES) return { ...commonTraits(body, headers), continuation: undefined };
    return { ...commonTraits(body, headers), continuation: undefined, conversation: messagesConversation(body, headers), boundState: () => carriesThinking(body) };
  },

  rejectsBoundState(status, bodyText) {
    // "Invalid `signature` in `thinking` block": thinking signatures hold on the account that made them only.
    return status === 400 && /signature/i.test(bodyText) && /thinking/i.test(bodyText);
  },

  stripBoundState(body) {
    return withoutThinking(body);
  },

  watch(operation, eventStream) {
    return new MessagesWatcher(operation, eventStream);
  },

  classifyError(status, cause, bodyText) {
    if (status < 400) return cause;
    const error = lastObject(bodyText, 'error');
    if (!error) return cause;
    return refinedByBody(cause, classified(error, cause).cause);
  },

  errorBody(status: number, code: string, message: string, attempts: readonly AttemptRecord[]) {
    return JSON.stringify({ type: 'error', error: { type: errorType(status), message: proxyMessage(message, attempts) }, switchyard: { code, attempts } });
  },

  cutStream(_watcher, cause, message) {
    const type = cause === 'OVERLOADED' ? 'overloaded_error' : cause === 'RATE_LIMITED' ? 'rate_limit_error' : 'api_error';
    return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`;
  },

  subscriptionLogin(headers: IncomingHttpHeaders) {
    const bearer = bearerToken(headers);
    // Claude subscription logins send an OAuth access token (sk-ant-oat…) as a bearer; API keys go in x-api-key.
    if (bearer?.startsWith('sk-ant-oat')) return 'Claude Code is signed in with a Claude subscription (an OAuth token, not an API key)';
    const beta = headers['anthropic-beta'];
    if (bearer && typeof beta === 'string' && /oauth/.test(beta)) return 'the client sends a Claude OAuth login (anthropic-beta: oauth), not an API key';
    return undefined;
  },

  livenessProbeBody(operation, model) {
    return operation === MESSAGES ? JSON.stringify({ model, max_tokens: 1, stream: true, messages: [{ role: 'user', content: 'ping' }] }) : undefined;
  },
};

// Defined after the adapter they point back to; only read once requests arrive.
const MESSAGES = op('messages', false, true);
const COUNT_TOKENS = op('count_tokens', true, false);
