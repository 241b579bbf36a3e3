// Upstream handlers that answer after a chosen time to first byte (fixed, or growing with the request's size), streams and JSON alike.

import { ANTHROPIC_EVENTS, Handler, RecordedRequest, sseEvent } from './upstream';

/** How long a request waits for its first byte; `rec.body` is what it sent. */
export type Ttfb = (rec: RecordedRequest) => number;

/** The request asks for a stream (`"stream": true` in its body). */
export function wantsStream(rec: RecordedRequest): boolean {
  return /"stream"\s*:\s*true/.test(rec.body);
}

/** The proxy's liveness probe: a one-token stream. */
export function isLivenessProbe(rec: RecordedRequest): boolean {
  return wantsStream(rec) && /"max_tokens"\s*:\s*1\b/.test(rec.body) && rec.body.includes('"ping"');
}

/** Answers a stream or a JSON message after `ttfb(rec)` ms: the whole answer at once, as a fast upstream would once it starts. */
export function answerAfter(ttfb: Ttfb, opts: { json?: Ttfb } = {}): Handler {
  return (_req, res, rec) => {
    const stream = wantsStream(rec);
    const wait = stream ? ttfb(rec) : (opts.json ?? ttfb)(rec);
    const timer = setTimeout(() => {
      if (res.destroyed) return;
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.end(ANTHROPIC_EVENTS.map(([name, data]) => sseEvent(name, data)).join(''));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 1 } }));
      }
    }, wait);
    res.on('close', () => clearTimeout(timer));
  };
}

/** Time to first byte that grows with the request's size: `baseMs` plus `msPerToken` for every 4 bytes of body. */
export function growingWithSize(baseMs: number, msPerToken: number): Ttfb {
  return (rec) => baseMs + (Buffer.byteLength(rec.body) / 4) * msPerToken;
}

/** An Anthropic request body of about `tokens` tokens (4 bytes each). */
export function bodyOfTokens(tokens: number, stream = true): Record<string, unknown> {
  return { model: 'claude-test', max_tokens: 8, stream, messages: [{ role: 'user', content: 'x'.repeat(Math.max(1, tokens * 4 - 80)) }] };
}
