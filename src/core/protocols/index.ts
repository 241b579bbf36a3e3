// The wire APIs the proxy knows, and which one (and which family's cluster) a request path belongs to.

import type { IncomingHttpHeaders } from 'node:http';
import { anthropicMessages } from './anthropicMessages';
import { openaiChat } from './openaiChat';
import { openaiResponses } from './openaiResponses';
import { PASSTHROUGH } from './passthrough';
import type { ApiAdapter, Family, Operation } from './types';

export type { ApiAdapter, ApiName, Family, FailoverPolicy, Operation, RequestTraits, ResponseWatcher, UpstreamError, Usage } from './types';
export { anthropicMessages, openaiChat, openaiResponses, PASSTHROUGH };

/** Every adapter that owns paths; a new wire API is one more entry here. */
export const ADAPTERS: readonly ApiAdapter[] = [anthropicMessages, openaiChat, openaiResponses];

/** A request's family and operation, from its method, path (query ignored) and headers. */
export interface RequestRoute {
  family: Family;
  op: Operation;
  /** The path without its query string. */
  pathname: string;
}

/** The family of a path no adapter owns: Anthropic's prefix or headers, else OpenAI's. */
function guessFamily(pathname: string, headers: IncomingHttpHeaders): Family {
  if (pathname.startsWith('/v1/messages') || pathname === '/v1/complete') return 'anthropic';
  if (headers['anthropic-version'] !== undefined || headers['x-api-key'] !== undefined) return 'anthropic';
  return 'openai';
}

export function routeRequest(method: string, url: string, headers: IncomingHttpHeaders): RequestRoute {
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  for (const adapter of ADAPTERS) {
    const op = adapter.operation(method, pathname);
    if (op) return { family: adapter.family, op, pathname };
  }
  const family = guessFamily(pathname, headers);
  return { family, op: PASSTHROUGH[family].operation(method, pathname)!, pathname };
}
