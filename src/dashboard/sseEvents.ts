// The SSE framing of host messages: one `data:` line of JSON per event, written by the headless host and read by the page.

import type { HostMessage } from './feed';

/** One host message as an SSE event (JSON never contains a raw newline, so one data line suffices). */
export function sseFrame(message: HostMessage): string {
  return `data: ${JSON.stringify(message)}\n\n`;
}

/** An SSE comment, which keeps idle connections (and proxies in between) from timing out. */
export const SSE_HEARTBEAT = ': keep-alive\n\n';

export interface SseEvent {
  event: string;
  data: string;
}

/** Splits an SSE text stream into events, carrying partial lines across chunks (per the HTML living standard's parsing rules). */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';

  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.data = [];
        this.event = '';
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
    }
    return out;
  }
}

const WRAPPED: Record<string, (payload: unknown) => HostMessage> = {
  snapshot: (p) => ({ type: 'snapshot', snapshot: p }) as HostMessage,
  request: (p) => ({ type: 'request', record: p }) as HostMessage,
  requests: (p) => ({ type: 'requests', records: p }) as HostMessage,
};

/**
 * The host message an event carries: its data is the message itself (`{"type": …}`), or, for a stream
 * that names events instead (`event: snapshot` with the bare snapshot as data), wrapped by name.
 * Undefined for anything else.
 */
export function hostMessageOf(e: SseEvent): HostMessage | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(e.data);
  } catch {
    return undefined;
  }
  if (payload && typeof payload === 'object' && typeof (payload as { type?: unknown }).type === 'string') return payload as HostMessage;
  return WRAPPED[e.event]?.(payload);
}
