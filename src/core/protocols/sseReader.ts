// Splits a relayed SSE body into events (name and data) for a watcher, keeping only the events it asked for and bounded memory.

import { StringDecoder } from 'node:string_decoder';

/** Data kept whole up to this size; beyond it only its head and tail (where ids and usage sit). */
const DATA_WHOLE = 64 * 1024;
const DATA_HEAD = 4 * 1024;
const DATA_TAIL = 16 * 1024;

/** One event's data: whole when short, else its head and tail (`truncated`). */
export interface SseData {
  text: string;
  truncated: boolean;
}

/**
 * Feeds on raw chunks and calls `onEvent(name, data)` at each blank line (`name` is `''` for events
 * without an `event:` line, as OpenAI Chat sends them). `data` is undefined unless `wantsData(name)`:
 * the big content deltas are noticed but never copied.
 */
export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private tail = '';
  /** The tail is the middle of an over-long line whose start was already handled. */
  private midLine = false;
  private name = '';
  private wanted: boolean;
  private data: string[] = [];
  private dataSize = 0;
  private dataTail = '';
  private truncated = false;
  private pending = false;

  constructor(
    private readonly wants: (name: string) => boolean,
    private readonly onEvent: (name: string, data: SseData | undefined) => void,
  ) {
    this.wanted = wants('');
  }

  feed(chunk: Buffer): void {
    const text = this.tail + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (this.midLine) this.continueData(text.slice(start, end));
      else this.line(text.slice(start, end));
      this.midLine = false;
      start = nl + 1;
    }
    const rest = text.length - start;
    if (rest > DATA_WHOLE) {
      // A line with no end in sight: take what there is now and read the rest as its continuation.
      const part = text.slice(start);
      if (this.midLine) this.continueData(part);
      else if (part.startsWith('data:')) this.line(part);
      this.midLine = true;
      this.tail = '';
    } else {
      this.tail = start === 0 ? text : text.slice(start);
    }
  }

  /** The body ended: an event still pending (no blank line after it) is delivered. */
  finish(): void {
    const rest = this.tail + this.decoder.end();
    this.tail = '';
    if (rest && !this.midLine) this.line(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
    this.dispatch();
  }

  private line(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    const c = line.charCodeAt(0);
    if (c === 58 /* ':' comment */) return;
    if (c === 101 /* 'e' */ && line.startsWith('event:')) {
      this.name = line.slice(line.charCodeAt(6) === 32 ? 7 : 6).trim();
      this.wanted = this.wants(this.name);
      this.pending = true;
      return;
    }
    if (c === 100 /* 'd' */ && line.startsWith('data:')) {
      this.pending = true;
      if (!this.wanted) return;
      if (this.dataSize > 0) this.append('\n');
      this.append(line.slice(line.charCodeAt(5) === 32 ? 6 : 5));
    }
  }

  private continueData(part: string): void {
    if (this.wanted) this.append(part);
  }

  private append(text: string): void {
    this.dataSize += text.length;
    if (!this.truncated && this.dataSize <= DATA_WHOLE) {
      this.data.push(text);
      return;
    }
    if (!this.truncated) {
      // Over the limit: keep the head from what is held, then only a rolling tail.
      const whole = this.data.join('') + text;
      this.data = [whole.slice(0, DATA_HEAD)];
      this.dataTail = whole.slice(-DATA_TAIL);
      this.truncated = true;
      return;
    }
    this.dataTail = (this.dataTail + text).slice(-DATA_TAIL);
  }

  private dispatch(): void {
    if (this.pending) {
      if (!this.wanted) this.onEvent(this.name, undefined);
      else {
        const text = this.truncated ? `${this.data[0]}\n…\n${this.dataTail}` : this.data.length === 1 ? this.data[0] : this.data.join('');
        this.onEvent(this.name, { text, truncated: this.truncated });
      }
    }
    this.pending = false;
    this.name = '';
    this.wanted = this.wants('');
    this.data = [];
    this.dataSize = 0;
    this.dataTail = '';
    this.truncated = false;
  }
}
