// Watches a relayed SSE stream for the protocol's proper end, and writes SSE error events in each protocol's shape.

import { Protocol } from './config';

/**
 * Scans chunks line by line (carrying a partial line across chunks) and notices the terminal event:
 * Anthropic `message_stop`; OpenAI `data: [DONE]` or a chunk with a non-null `finish_reason`.
 */
export class SseWatcher {
  finished = false;
  /** The upstream itself sent an error event. */
  upstreamError: string | undefined;
  private tail = '';
  /** The tail is the end of an over-long line rather than the start of a new one. */
  private midLine = false;

  constructor(private readonly protocol: Protocol) {}

  feed(chunk: Buffer): void {
    if (this.finished && this.protocol === 'anthropic') return;
    // latin1 is a cheap 1:1 byte decoding; the markers we look for are ASCII.
    const text = this.tail + chunk.toString('latin1');
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      const segment = text.slice(start, nl);
      if (this.midLine) this.fragment(segment);
      else this.line(segment);
      this.midLine = false;
      start = nl + 1;
    }
    if (text.length - start > 4096) {
      // A very long line (a big delta): look for the end markers in it now and keep only a short overlap.
      this.fragment(text.slice(start));
      this.tail = text.slice(-64);
      this.midLine = true;
    } else {
      this.tail = text.slice(start);
    }
  }

  /** Part of a line whose start was already seen: only the end markers matter there. */
  private fragment(text: string): void {
    if (this.protocol === 'anthropic' ? text.includes('"type":"message_stop"') : /"finish_reason":\s*"/.test(text)) this.finished = true;
  }

  private line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.protocol === 'anthropic') {
      if (line.startsWith('event:')) {
        const name = line.slice(6).trim();
        if (name === 'message_stop') this.finished = true;
        else if (name === 'error') this.upstreamError = 'upstream sent an error event';
      } else if (line.startsWith('data:') && line.includes('"type":"message_stop"')) {
        this.finished = true;
      } else if (line.startsWith('data:') && this.upstreamError && line.includes('"error"')) {
        this.upstreamError = line.slice(5).trim().slice(0, 300);
      }
      return;
    }
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trim();
    if (data === '[DONE]') this.finished = true;
    else if (/"finish_reason":\s*"/.test(data)) this.finished = true;
    else if (data.startsWith('{"error"')) this.upstreamError = data.slice(0, 300);
  }
}

/** An SSE event telling the client the stream failed, in the protocol's own error shape. */
export function sseErrorEvent(protocol: Protocol, code: string, message: string): string {
  if (protocol === 'anthropic') {
    const body = { type: 'error', error: { type: code === 'OVERLOADED' ? 'overloaded_error' : 'api_error', message } };
    return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
  }
  return `data: ${JSON.stringify({ error: { message, type: 'upstream_error', code } })}\n\n`;
}
