// OpenAI Chat Completions (`/v1/chat/completions`, and the older `/v1/completions`): most SDK scripts, Cline, Continue, Aider.

import { BodyView } from './bodyView';
import { conversationKey, ConversationKey, OPENING_WINDOW, openingTexts } from './conversation';
import { child, count, firstString, lastObject } from './json';
import { classifiedOpenAiError, classifyOpenAiError, openAiErrorBody, openAiSubscriptionLogin } from './openaiShared';
import { SseData, SseReader } from './sseReader';
import { commonTraits } from './traits';
import type { ApiAdapter, Operation, ResponseWatcher, Usage, UpstreamError } from './types';

/** `prompt_tokens` includes the cached ones: input = prompt − cached. OpenAI reports no cache writes (0, not unknown). */
function chatUsage(u: Record<string, unknown>): Usage {
  const prompt = count(u, 'prompt_tokens');
  const cached = count(child(u, 'prompt_tokens_details'), 'cached_tokens') ?? 0;
  return { inputTokens: prompt === null ? null : Math.max(0, prompt - cached), outputTokens: count(u, 'completion_tokens'), cacheReadTokens: prompt === null ? null : cached, cacheWriteTokens: prompt === null ? null : 0 };
}

const UNKNOWN: Usage = { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null };

class ChatWatcher implements ResponseWatcher {
  stage: 'opening' | 'content' = 'opening';
  ended: boolean;
  error: UpstreamError | undefined;
  model: string | undefined;
  private readonly reader: SseReader | undefined;
  private reported: Usage | undefined;
  private bodyHead = '';
  private bodyTail = '';

  constructor(private readonly op: Operation, eventStream: boolean) {
    this.ended = !eventStream;
    if (eventStream) this.reader = new SseReader(() => true, (_name, data) => this.onChunk(data));
    else this.stage = 'content';
  }

  feed(chunk: Buffer): void {
    if (this.reader) this.reader.feed(chunk);
    else if (this.op.reportsUsage) {
      if (this.bodyHead.length < 1024) this.bodyHead += chunk.toString('utf8', 0, Math.min(chunk.length, 1024));
      this.bodyTail = (this.bodyTail + chunk.toString('utf8')).slice(-16 * 1024);
    }
  }

  finish(): void {
    if (this.reader) {
      this.reader.finish();
      return;
    }
    const usage = lastObject(this.bodyTail, 'usage');
    if (usage) this.reported = chatUsage(usage);
    this.model = firstString(this.bodyHead, 'model');
  }

  /** Streams carry usage only when the client asked (`stream_options.include_usage`); otherwise it is unknown. */
  usage(): Usage | undefined {
    return this.op.reportsUsage ? (this.reported ?? UNKNOWN) : undefined;
  }

  private onChunk(data: SseData | undefined): void {
    this.stage = 'content';
    if (!data) return;
    const text = data.text;
    if (text === '[DONE]') {
      this.ended = true;
      return;
    }
    if (/^\s*\{\s*"error"/.test(text)) {
      this.error = classifiedOpenAiError(lastObject(text, 'error'), 'UPSTREAM_5XX');
      return;
    }
    this.model ??= firstString(text.slice(0, 400), 'model');
    // `"finish_reason":null` rides on every chunk; only a string value ends the choice.
    if (/"finish_reason"\s*:\s*"/.test(text)) this.ended = true;
    if (text.includes('"usage"')) {
      const usage = lastObject(text, 'usage');
      if (usage) this.reported = chatUsage(usage);
    }
  }
}

/**
 * The conversation a Chat turn belongs to: `prompt_cache_key` (what OpenAI routes its cache by), then
 * `user`, then the opening messages (usually the system prompt and the first user message) read as text.
 */
function chatConversation(body: BodyView): ConversationKey | undefined {
  const cacheKey = body.string('prompt_cache_key');
  if (cacheKey) return conversationKey('openai', 'prompt_cache_key', cacheKey);
  const user = body.string('user');
  if (user) return conversationKey('openai', 'user', user);
  const opening = openingTexts(body.after('messages', OPENING_WINDOW), 2).join('\u0000');
  return opening.length > 1 ? conversationKey('openai', 'opening hash', opening) : undefined;
}

export const openaiChat: ApiAdapter = {
  name: 'openai-chat',
  family: 'openai',

  operation(method, pathname) {
    if (method !== 'POST') return undefined;
    if (pathname === '/v1/chat/completions' || pathname === '/chat/completions') return CHAT;
    if (pathname === '/v1/completions' || pathname === '/completions') return COMPLETIONS;
    return undefined;
  },

  traits(_op, raw, headers) {
    const body = new BodyView(raw);
    return { ...commonTraits(body, headers), continuation: undefined, conversation: chatConversation(body) };
  },

  watch(op, eventStream) {
    return new ChatWatcher(op, eventStream);
  },

  classifyError: classifyOpenAiError,
  errorBody: openAiErrorBody,

  cutStream(_watcher, cause, message) {
    return `data: ${JSON.stringify({ error: { message, type: 'upstream_error', code: cause } })}\n\n`;
  },

  subscriptionLogin: openAiSubscriptionLogin,

  livenessProbeBody(op, model) {
    // max_tokens rather than max_completion_tokens: the widest-understood field; a 400 still proves the endpoint answers.
    if (op === CHAT) return JSON.stringify({ model, max_tokens: 1, stream: true, messages: [{ role: 'user', content: 'ping' }] });
    if (op === COMPLETIONS) return JSON.stringify({ model, max_tokens: 1, stream: true, prompt: 'ping' });
    return undefined;
  },
};

// Defined after the adapter they point back to; only read once requests arrive.
const CHAT: Operation = { api: openaiChat, name: 'chat.completions', failover: 'full', notFoundTriesElsewhere: false, reportsUsage: true };
const COMPLETIONS: Operation = { api: openaiChat, name: 'completions', failover: 'full', notFoundTriesElsewhere: false, reportsUsage: true };
