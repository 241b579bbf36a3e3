// The three wire APIs' streams as real upstreams send them, and handlers that send them whole, cut, broken or with an error event.

import type { Handler } from './upstream';
import { ANTHROPIC_EVENTS } from './upstream';

export type WireEvent = readonly [name: string | null, data: unknown];
export type Protocol = 'anthropic' | 'openai';

/** One wire API as a test sees it: where to send, what a request body looks like, a whole stream and its parts. */
export interface WireApi {
  name: 'anthropic-messages' | 'openai-chat' | 'openai-responses';
  protocol: Protocol;
  path: string;
  body: Record<string, unknown>;
  /** A complete stream. */
  events: readonly WireEvent[];
  /** How many leading events are opening frames (held back until content). */
  opening: number;
  /** An error event the upstream sends mid-stream for a server-side fault. */
  serverErrorEvent: WireEvent;
  /** What the proxy's own cut looks like on the wire. */
  cutPattern: RegExp;
}

export function sse(name: string | null, data: unknown): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${name ? `event: ${name}\n` : ''}data: ${payload}\n\n`;
}

const chatChunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-test',
  choices: [{ index: 0, delta, finish_reason: finish }],
  ...extra,
});

export const CHAT_EVENTS: readonly WireEvent[] = [
  [null, chatChunk({ role: 'assistant', content: '' }, null)],
  [null, chatChunk({ content: 'Hello' }, null)],
  [null, chatChunk({}, 'stop')],
  [null, { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-test', choices: [], usage: { prompt_tokens: 1200, completion_tokens: 7, total_tokens: 1207, prompt_tokens_details: { cached_tokens: 1024 } } }],
  [null, '[DONE]'],
];

/** A Responses stream: typed events, each with its sequence number, ending with response.completed. */
export function responsesEvents(text = 'Hello', id = 'resp_test1', usage: Record<string, unknown> = { input_tokens: 2000, input_tokens_details: { cached_tokens: 1536 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 3 }, total_tokens: 2009 }): WireEvent[] {
  const base = { id, object: 'response', created_at: 1, model: 'gpt-test', output: [] as unknown[], usage: null as unknown };
  const item = { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] as unknown[] };
  const done = { ...item, status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
  const events: [string, Record<string, unknown>][] = [
    ['response.created', { response: { ...base, status: 'in_progress' } }],
    ['response.in_progress', { response: { ...base, status: 'in_progress' } }],
    ['response.output_item.added', { output_index: 0, item }],
    ['response.content_part.added', { item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }],
    ['response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: text }],
    ['response.output_text.done', { item_id: 'msg_1', output_index: 0, content_index: 0, text }],
    ['response.content_part.done', { item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text, annotations: [] } }],
    ['response.output_item.done', { output_index: 0, item: done }],
    ['response.completed', { response: { ...base, status: 'completed', output: [done], usage } }],
  ];
  return events.map(([name, data], i) => [name, { type: name, sequence_number: i, ...data }] as const);
}

export const WIRE_APIS: readonly WireApi[] = [
  {
    name: 'anthropic-messages',
    protocol: 'anthropic',
    path: '/v1/messages',
    body: { model: 'claude-test', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] },
    events: ANTHROPIC_EVENTS,
    opening: 1,
    serverErrorEvent: ['error', { type: 'error', error: { type: 'api_error', message: 'Internal server error' } }],
    cutPattern: /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Switchyard: /,
  },
  {
    name: 'openai-chat',
    protocol: 'openai',
    path: '/v1/chat/completions',
    body: { model: 'gpt-test', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] },
    events: CHAT_EVENTS,
    opening: 0,
    serverErrorEvent: [null, { error: { message: 'The server had an error', type: 'server_error', code: 'server_error' } }],
    cutPattern: /data: \{"error":\{"message":"Switchyard: [^"]*","type":"upstream_error","code":"STREAM_/,
  },
  {
    name: 'openai-responses',
    protocol: 'openai',
    path: '/v1/responses',
    body: { model: 'gpt-test', stream: true, input: 'hi' },
    events: responsesEvents(),
    opening: 2,
    serverErrorEvent: ['response.failed', { type: 'response.failed', sequence_number: 5, response: { id: 'resp_test1', object: 'response', status: 'failed', error: { code: 'server_error', message: 'The server had an error' } } }],
    cutPattern: /event: response\.failed\ndata: \{"type":"response\.failed","sequence_number":\d+,"response":\{"id":"resp_test1","object":"response","status":"failed","error":\{"code":"server_error","message":"Switchyard: /,
  },
];

export interface StreamPlan {
  /** Send only the first `count` events. */
  count?: number;
  /** After them: end the body cleanly (default), reset the connection, or keep it open. */
  then?: 'end' | 'reset' | 'hang';
  /** Events spliced in after `count` (an error event mid-stream). */
  extra?: readonly WireEvent[];
  gapMs?: number;
}

/** Streams `events` as SSE following the plan. */
export function streamHandler(events: readonly WireEvent[], plan: StreamPlan = {}): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const list = [...events.slice(0, plan.count ?? events.length), ...(plan.extra ?? [])];
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i < list.length) {
        const [name, data] = list[i++];
        res.write(sse(name, data));
        if (plan.gapMs) setTimeout(next, plan.gapMs);
        else setImmediate(next);
        return;
      }
      if (plan.then === 'reset') setTimeout(() => req.socket.resetAndDestroy(), 20);
      else if (plan.then !== 'hang') res.end();
    };
    next();
  };
}
