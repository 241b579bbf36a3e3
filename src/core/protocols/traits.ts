// Request traits every wire API shares: whether the client asked for a stream, and the model.

import type { IncomingHttpHeaders } from 'node:http';
import type { BodyView } from './bodyView';

/** `stream` from `"stream": true` or `accept: text/event-stream`; `model` from the body's `"model"`. */
export function commonTraits(body: BodyView, headers: IncomingHttpHeaders): { stream: boolean; model: string | undefined } {
  const accept = headers.accept;
  // An unescaped `"stream"` can only be a JSON key, never text inside a string value.
  const stream = (typeof accept === 'string' && accept.includes('text/event-stream')) || body.isTrue('stream');
  const model = body.string('model', 200);
  return { stream, model };
}

/** The bearer token of a request, if it sends one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  return typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
}
