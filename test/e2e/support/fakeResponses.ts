// A fake OpenAI Responses API upstream (typed SSE or JSON, scripted endings, WebSocket-upgrade answers) that the real Codex CLI and the openai SDK accept.

import type * as http from 'node:http';
import type { Handler, RecordedRequest } from '../../core/support/upstream';

/** How one answer ends; `http` answers with a status instead of a stream. */
export type ResponsesEnding =
  | 'completed'
  /** `response.incomplete` with `incomplete_details.reason: max_output_tokens`. */
  | 'incomplete'
  /** The stream ends cleanly after the content, with no terminal event. */
  | 'cut'
  /** The connection is reset after the content. */
  | 'reset'
  /** The content, then nothing: the stream stays open until the client gives up. */
  | 'hang'
  /** `response.failed` whose `response.error` has this code. */
  | { failed: string; message?: string }
  /** A bare `event: error` (no terminal event), then the stream ends. */
  | { error: string; message?: string }
  | { http: number; headers?: Record<string, string>; body?: unknown };

/** How an upgrade request (`GET /v1/responses` with `Upgrade: websocket`) is answered; the fake never accepts one. */
export type WebSocketAnswer =
  /** 426 with an `invalid_request_error`/`websocket_unsupported` JSON body: Codex falls back to HTTP at once. */
  | 'unsupported'
  /** Any status, with an optional `Upgrade` response header and body (default: an OpenAI-shaped error). */
  | { status: number; upgradeHeader?: string; body?: unknown };

export interface FakeResponsesOptions {
  /** The answer's text, streamed in word-sized deltas (default "Hello from the fake"). */
  text?: string;
  usage?: { input?: number; cached?: number; output?: number; reasoning?: number };
  /** Pause between SSE frames. */
  gapMs?: number;
  /** How each answer ends, or a function of the 0-based index of the `POST /responses` this fake has seen (a non-streaming request honours only `http`). */
  ending?: ResponsesEnding | ((attempt: number, rec: RecordedRequest) => ResponsesEnding);
  /** When the last input item is a user message containing this marker, answer with a `get_goal` function call first (Codex runs it and asks again). */
  toolCallMarker?: string;
  websocket?: WebSocketAnswer;
}

type Frame = readonly [name: string, data: Record<string, unknown>];
type Json = Record<string, unknown>;

/** One answer being built: its id suffix, the request body it answers, and what it says. */
export interface FakeAnswer {
  id: string;
  body: Json;
  text: string;
  toolCall: boolean;
  /** The request ends with a `compaction_trigger` item: answer with one `compaction` item (Codex's remote compaction). */
  compaction: boolean;
  usage: NonNullable<FakeResponsesOptions['usage']>;
}

let answered = 0;

/**
 * A Handler for startUpstream: `POST /v1/responses` streams (`stream: true`) or answers JSON; an upgrade gets `websocket`
 * (startUpstream has no 'upgrade' listener, so Node hands upgrade requests to the handler); other paths 404. A compressed
 * body (Codex signed in with ChatGPT sends `content-encoding: zstd`) gets 400.
 */
export function fakeResponses(opts: FakeResponsesOptions = {}): Handler {
  let attempts = 0;
  return (req, res, rec) => {
    const path = (req.url ?? '').split('?')[0];
    if (String(req.headers.upgrade ?? '').toLowerCase() === 'websocket') return answerUpgrade(res, opts.websocket ?? 'unsupported');
    if (req.method !== 'POST' || !/\/responses$/.test(path)) return sendJson(res, 404, openaiError(`no route for ${req.method} ${path}`, 'not_found'));
    const attempt = attempts++;
    const ending = typeof opts.ending === 'function' ? opts.ending(attempt, rec) : (opts.ending ?? 'completed');
    if (typeof ending === 'object' && 'http' in ending) {
      res.writeHead(ending.http, { 'content-type': 'application/json', ...ending.headers });
      res.end(JSON.stringify(ending.body ?? openaiError(`fake upstream says ${ending.http}`, 'server_error')));
      return;
    }
    let body: Json;
    try {
      body = JSON.parse(rec.body) as Json;
    } catch {
      return sendJson(res, 400, openaiError('body is not JSON', 'invalid_json'));
    }
    const call = opts.toolCallMarker !== undefined && lastUserText(body).includes(opts.toolCallMarker);
    const compaction = lastItemType(body) === 'compaction_trigger';
    const answer: FakeAnswer = { id: String(++answered), body, text: opts.text ?? 'Hello from the fake', toolCall: call && !compaction, compaction, usage: opts.usage ?? {} };
    if (body.stream !== true) return sendJson(res, 200, finalResponse(answer, 'completed'));
    streamFrames(req, res, responseFrames(answer, ending), ending, opts.gapMs ?? 0);
  };
}

/** The frames of one streamed answer, each with `type` and a running `sequence_number`, ending as asked. */
export function responseFrames(answer: FakeAnswer, ending: ResponsesEnding = 'completed'): Frame[] {
  const frames: [string, Json][] = [];
  const push = (type: string, data: Json) => frames.push([type, { type, sequence_number: frames.length, ...data }]);
  const shell = responseShell(answer, 'in_progress', []);
  push('response.created', { response: shell });
  push('response.in_progress', { response: shell });
  const item = outputItem(answer);
  if (item.type === 'compaction') {
    push('response.output_item.added', { output_index: 0, item });
  } else if (item.type === 'function_call') {
    push('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } });
    push('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: item.arguments });
    push('response.function_call_arguments.done', { item_id: item.id, output_index: 0, arguments: item.arguments });
  } else {
    const ids = { item_id: item.id, output_index: 0, content_index: 0 };
    push('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
    push('response.content_part.added', { ...ids, part: { type: 'output_text', text: '', annotations: [] } });
    for (const delta of answer.text.match(/\s*\S+/g) ?? [answer.text]) push('response.output_text.delta', { ...ids, delta, logprobs: [] });
    push('response.output_text.done', { ...ids, text: answer.text, logprobs: [] });
    push('response.content_part.done', { ...ids, part: { type: 'output_text', text: answer.text, annotations: [] } });
  }
  push('response.output_item.done', { output_index: 0, item });
  if (ending === 'completed') push('response.completed', { response: finalResponse(answer, 'completed') });
  else if (ending === 'incomplete') push('response.incomplete', { response: finalResponse(answer, 'incomplete') });
  else if (typeof ending === 'object' && 'failed' in ending) {
    const error = { code: ending.failed, message: ending.message ?? `fake upstream failed: ${ending.failed}` };
    push('response.failed', { response: { ...responseShell(answer, 'failed', []), error, usage: null } });
  } else if (typeof ending === 'object' && 'error' in ending) {
    push('error', { code: ending.error, message: ending.message ?? `fake upstream error: ${ending.error}`, param: null });
  }
  return frames;
}

/** The whole response object as the terminal event (or a non-streaming answer) carries it. */
export function finalResponse(answer: FakeAnswer, status: 'completed' | 'incomplete'): Json {
  const input = answer.usage.input ?? 20;
  const output = answer.usage.output ?? 5;
  return {
    ...responseShell(answer, status, [outputItem(answer)]),
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    usage: {
      input_tokens: input,
      input_tokens_details: { cached_tokens: answer.usage.cached ?? 8 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: answer.usage.reasoning ?? 0 },
      total_tokens: input + output,
    },
  };
}

function responseShell(answer: FakeAnswer, status: string, output: Json[]): Json {
  return {
    id: `resp_fake_${answer.id}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    model: typeof answer.body.model === 'string' ? answer.body.model : 'gpt-fake',
    output,
    parallel_tool_calls: answer.body.parallel_tool_calls ?? true,
    previous_response_id: answer.body.previous_response_id ?? null,
    store: answer.body.store ?? true,
    tool_choice: answer.body.tool_choice ?? 'auto',
    tools: [],
    metadata: {},
    usage: null,
  };
}

function outputItem(answer: FakeAnswer): Json & { id: string; type: string; arguments?: string } {
  if (answer.compaction) return { id: `cmp_fake_${answer.id}`, type: 'compaction', encrypted_content: `fake-compaction-${answer.id}` };
  if (answer.toolCall) return { id: `fc_fake_${answer.id}`, type: 'function_call', status: 'completed', call_id: `call_fake_${answer.id}`, name: 'get_goal', arguments: '{}' };
  return { id: `msg_fake_${answer.id}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: answer.text, annotations: [] }] };
}

function streamFrames(req: http.IncomingMessage, res: http.ServerResponse, frames: Frame[], ending: ResponsesEnding, gapMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    if (i < frames.length) {
      const [name, data] = frames[i++];
      res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      if (gapMs > 0) setTimeout(next, gapMs);
      else next();
    } else if (ending === 'reset') setTimeout(() => req.socket.resetAndDestroy(), 20);
    else if (ending !== 'hang') res.end();
  };
  next();
}

function answerUpgrade(res: http.ServerResponse, answer: WebSocketAnswer): void {
  const a = answer === 'unsupported' ? { status: 426, body: openaiError('WebSockets are not supported here; use HTTP', 'websocket_unsupported') } : answer;
  const body = JSON.stringify(a.body ?? openaiError(`fake upstream answers ${a.status} to a WebSocket upgrade`, 'websocket_unsupported'));
  res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close', ...(a.upgradeHeader ? { upgrade: a.upgradeHeader } : {}) });
  res.end(body);
}

function lastUserText(body: Json): string {
  const input = body.input;
  if (typeof input === 'string') return input;
  if (!Array.isArray(input) || input.length === 0) return '';
  const last = input[input.length - 1] as Json;
  return last.type === 'message' && last.role === 'user' ? JSON.stringify(last.content) : '';
}

function lastItemType(body: Json): unknown {
  const input = body.input;
  return Array.isArray(input) && input.length > 0 ? (input[input.length - 1] as Json).type : undefined;
}

function openaiError(message: string, code: string): Json {
  return { error: { message, type: 'invalid_request_error', param: null, code } };
}

function sendJson(res: http.ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
