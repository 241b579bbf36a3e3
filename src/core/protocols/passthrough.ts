// Plain pass-through for a family's other paths (`/v1/models`, `/v1/embeddings`, files, batches): no stream-end rule, no usage.

import { anthropicMessages } from './anthropicMessages';
import { BodyView } from './bodyView';
import { openaiChat } from './openaiChat';
import { commonTraits } from './traits';
import type { ApiAdapter, Family, Operation, ResponseWatcher } from './types';

/** A body the proxy only relays: it ends when the upstream says so. */
const RELAY_ONLY: ResponseWatcher = {
  stage: 'content',
  ended: true,
  error: undefined,
  feed() {},
  finish() {},
  usage: () => undefined,
};

/** Reads (GET, HEAD, OPTIONS) fail over like any request; anything else may have side effects, so only when it never left. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function passthroughFor(family: Family, shape: ApiAdapter): ApiAdapter {
  const adapter: ApiAdapter = {
    name: 'passthrough',
    family,
    operation: (method) => (SAFE_METHODS.has(method) ? read : write),
    traits: (_op, body, headers) => ({ ...commonTraits(new BodyView(body), headers), continuation: undefined }),
    watch: () => RELAY_ONLY,
    classifyError: (status, cause, body) => shape.classifyError(status, cause, body),
    errorBody: (status, code, message, attempts) => shape.errorBody(status, code, message, attempts),
    cutStream: (watcher, cause, message) => shape.cutStream(watcher, cause, message),
    subscriptionLogin: (headers) => shape.subscriptionLogin(headers),
  };
  const read: Operation = { api: adapter, name: 'passthrough', failover: 'full', notFoundTriesElsewhere: false, reportsUsage: false };
  const write: Operation = { api: adapter, name: 'passthrough', failover: 'unsent-only', notFoundTriesElsewhere: false, reportsUsage: false };
  return adapter;
}

/** One pass-through per family, speaking that family's error shapes. */
export const PASSTHROUGH: Record<Family, ApiAdapter> = {
  anthropic: passthroughFor('anthropic', anthropicMessages),
  openai: passthroughFor('openai', openaiChat),
};
