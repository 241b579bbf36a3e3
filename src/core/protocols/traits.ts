// Request traits every wire API shares: whether the client asked for a stream, and the model.

import type { IncomingHttpHeaders } from 'node:http';

/** The output caps of the three APIs: Anthropic and Chat `max_tokens`, Chat `max_completion_tokens`, Responses `max_output_tokens`. */
const MAX_OUTPUT = /"max_(?:tokens|completion_tokens|output_tokens)"\s*:\s*(\d{1,9})/g;

/**
 * `stream` from `"stream": true` or `accept: text/event-stream`; `model` from the body's `"model"`;
 * `maxOutputTokens` from its output cap (the largest seen, should a tool schema name one too).
 */
export function commonTraits(window: string, headers: IncomingHttpHeaders): { stream: boolean; model: string | undefined; maxOutputTokens: number | undefined } {
  const accept = headers.accept;
  // An unescaped `"stream"` can only be a JSON key, never text inside a string value.
  const stream = (typeof accept === 'string' && accept.includes('text/event-stream')) || /"stream"\s*:\s*true/.test(window);
  const model = /"model"\s*:\s*"([^"\\]{1,200})"/.exec(window)?.[1];
  let maxOutputTokens: number | undefined;
  for (const m of window.matchAll(MAX_OUTPUT)) maxOutputTokens = Math.max(maxOutputTokens ?? 0, Number(m[1]));
  return { stream, model, maxOutputTokens };
}

/** The bearer token of a request, if it sends one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  return typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
}
