// Request traits every wire API shares: whether the client asked for a stream, and the model.

import type { IncomingHttpHeaders } from 'node:http';
import type { BodyView } from './bodyView';

/** The output caps of the three APIs: Anthropic and Chat `max_tokens`, Chat `max_completion_tokens`, Responses `max_output_tokens`. */
const MAX_OUTPUT_KEYS = ['max_tokens', 'max_completion_tokens', 'max_output_tokens'];

/**
 * `stream` from `"stream": true` or `accept: text/event-stream`; `model` from the body's `"model"`;
 * `maxOutputTokens` from its output cap (the largest named, should a request carry two).
 */
export function commonTraits(body: BodyView, headers: IncomingHttpHeaders): { stream: boolean; model: string | undefined; maxOutputTokens: number | undefined } {
  const accept = headers.accept;
  // An unescaped `"stream"` can only be a JSON key, never text inside a string value.
  const stream = (typeof accept === 'string' && accept.includes('text/event-stream')) || body.isTrue('stream');
  const model = body.string('model', 200);
  let maxOutputTokens: number | undefined;
  for (const key of MAX_OUTPUT_KEYS) {
    const n = body.integer(key);
    if (n !== undefined) maxOutputTokens = Math.max(maxOutputTokens ?? 0, n);
  }
  return { stream, model, maxOutputTokens };
}

/** The bearer token of a request, if it sends one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  return typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
}
