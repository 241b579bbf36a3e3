// Streams an answered upstream response to the client with backpressure; the adapter's watcher judges how it ended.

import { ServerResponse } from 'node:http';
import { Answered } from './attempt';
import { causeOfBodyError, DeadlineError, describeError } from './classify';
import type { ExchangeSink } from './exchange';
import { clientResponseHeaderList } from './headers';
import { Cause, outcome } from './outcomes';
import type { ApiAdapter, ResponseWatcher, Usage } from './protocols';

export interface RelayResult {
  cause: Cause;
  detail?: string;
  bytesOut: number;
  /** What the response reported; undefined when the operation reports no usage. */
  usage: Usage | undefined;
  /** The model the response named, and its id (Responses), when the watcher saw them. */
  model?: string;
  responseId?: string;
}

export interface RelayOptions {
  api: ApiAdapter;
  idleMs: number;
  extraHeaders: Record<string, string>;
  clientGone(): boolean;
}

/** An endpoint-side error the upstream reported after content was relayed: its own cause when it has one (overloaded, a key's), else a mid-stream error. */
function midStreamCause(cause: Cause): Cause {
  return cause === 'UPSTREAM_5XX' ? 'STREAM_UPSTREAM_ERROR' : cause;
}

/** How long a client gets to read the error event before the connection is destroyed outright. */
const CUT_LINGER_MS = 2000;

/**
 * Ends the connection without ending the response (no final chunk), so the client sees a cut; a FIN
 * rather than a reset, so the error event written just before is read first, not discarded with the socket.
 */
function cutAfterDelivery(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) {
    res.destroy();
    return;
  }
  socket.end();
  setTimeout(() => res.destroy(), CUT_LINGER_MS).unref();
}

/**
 * Writes headers and body. Resolves once the client response is finished or torn down; a failure
 * after the first byte ends the response visibly (the protocol's error event, then the connection is cut).
 */
export function relay(res: ServerResponse, answer: Answered, o: RelayOptions): Promise<RelayResult> {
  res.writeHead(answer.status, clientResponseHeaderList(answer.exchange.headers, o.extraHeaders));
  // A whole answer read during the attempt (a JSON reply, a short stream): one write, no listeners, no timer.
  if (answer.ended) return Promise.resolve(relayWhole(res, answer, o));
  return new Promise<RelayResult>((resolve) => new StreamRelay(res, answer, o, resolve).start());
}

/** The end of a response whose body is all in hand: judged, then written with the end in one call. */
function relayWhole(res: ServerResponse, answer: Answered, o: RelayOptions): RelayResult {
  const watcher = answer.watcher;
  const bytesOut = answer.first?.length ?? 0;
  const result = (cause: Cause, detail?: string): RelayResult => ({ cause, detail, bytesOut, usage: watcher?.usage(), model: watcher?.model, responseId: watcher?.responseId });
  const error = watcher?.ended ? undefined : watcher?.error;
  const isSse = isEventStream(answer.exchange.headers);
  if (error && !error.final) {
    if (answer.first) res.write(answer.first);
    return cutVisibly(res, o, watcher!, isSse, midStreamCause(error.cause), errorDetail(error), answer.exchange, result);
  }
  if (!error && watcher && !watcher.ended) {
    if (answer.first) res.write(answer.first);
    return cutVisibly(res, o, watcher, isSse, 'STREAM_INCOMPLETE', 'the stream ended without its final event', answer.exchange, result);
  }
  if (answer.first) res.end(answer.first);
  else res.end();
  // The upstream ended the stream with its own error event: the client saw it, so the end stays as sent.
  return error ? result(midStreamCause(error.cause), errorDetail(error)) : result(answer.cause);
}

function isEventStream(headers: Record<string, string | string[] | undefined>): boolean {
  const contentType = headers['content-type'];
  return typeof contentType === 'string' && contentType.includes('text/event-stream');
}

function errorDetail(error: { code?: string; message: string }): string {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

/** Ends a response that failed after bytes were sent: the protocol's error event and a cut for a stream, a torn-down socket otherwise. */
function cutVisibly<T>(res: ServerResponse, o: RelayOptions, watcher: ResponseWatcher | undefined, isSse: boolean, cause: Cause, detail: string, exchange: Answered['exchange'], result: (cause: Cause, detail?: string) => T): T {
  exchange.abort(new Error('the relay ended'));
  if (isSse && watcher && !res.destroyed) {
    const message = `Switchyard: the upstream stream failed after it began (${outcome(cause).label}: ${detail}); nothing can be retried once bytes were sent.`;
    res.write(o.api.cutStream(watcher, cause, message), () => cutAfterDelivery(res));
  } else {
    res.destroy();
  }
  return result(cause, detail);
}

/**
 * A body still arriving: relayed chunk by chunk with backpressure and an idle deadline. One object per
 * response rather than a handful of closures, since a long stream holds it for its whole life.
 */
class StreamRelay implements ExchangeSink {
  private readonly exchange: Answered['exchange'];
  private readonly watcher: ResponseWatcher | undefined;
  private readonly isSse: boolean;
  private bytesOut = 0;
  private settled = false;
  private paused = false;
  private idle: NodeJS.Timeout | undefined;
  private readonly onDrain = () => {
    this.paused = false;
    this.idle?.refresh();
    this.exchange.resume();
  };
  private readonly onClose = () => {
    if (!this.res.writableFinished) {
      this.exchange.abort(new Error('the client went away'));
      this.finish('CLIENT_ABORTED');
    }
  };

  constructor(
    private readonly res: ServerResponse,
    private readonly answer: Answered,
    private readonly o: RelayOptions,
    private readonly resolve: (r: RelayResult) => void,
  ) {
    this.exchange = answer.exchange;
    this.watcher = answer.watcher;
    this.isSse = isEventStream(answer.exchange.headers);
  }

  start(): void {
    // Any byte resets the idle deadline (pings and thinking deltas count); a slow client does not count against the upstream.
    if (this.o.idleMs > 0) this.idle = setTimeout(() => this.onIdle(), this.o.idleMs);
    this.res.on('drain', this.onDrain);
    this.res.on('close', this.onClose);
    // The attempt already fed what it read to the watcher.
    if (this.answer.first) this.write(this.answer.first, true);
    this.exchange.attach(this);
    if (!this.paused && !this.settled) this.exchange.resume();
  }

  onHeaders(): void {}

  onData(chunk: Buffer): void {
    if (!this.settled) this.write(chunk, false);
  }

  onEnd(): void {
    if (this.settled) return;
    const watcher = this.watcher;
    watcher?.finish();
    const error = watcher?.ended ? undefined : watcher?.error;
    if (error) {
      // The upstream ended the stream with its own error event: the client saw it, so the end stays as sent.
      if (error.final) {
        this.res.end();
        this.finish(midStreamCause(error.cause), errorDetail(error));
      } else {
        this.failVisibly(midStreamCause(error.cause), errorDetail(error));
      }
      return;
    }
    if (watcher && !watcher.ended) {
      this.failVisibly('STREAM_INCOMPLETE', 'the stream ended without its final event');
      return;
    }
    this.res.end();
    this.finish(this.answer.cause);
  }

  onError(err: Error): void {
    if (this.settled) return;
    if (this.o.clientGone()) {
      this.finish('CLIENT_ABORTED');
      return;
    }
    const cause = describeError(err).includes('TOTAL_TIMEOUT') ? 'TOTAL_TIMEOUT' : causeOfBodyError(err);
    this.failVisibly(cause, describeError(err));
  }

  private onIdle(): void {
    if (this.paused) this.idle!.refresh();
    else this.exchange.abort(new DeadlineError('IDLE_TIMEOUT', this.o.idleMs));
  }

  private write(chunk: Buffer, fed: boolean): void {
    this.bytesOut += chunk.length;
    this.idle?.refresh();
    if (!fed) this.watcher?.feed(chunk);
    if (!this.res.write(chunk)) {
      this.paused = true;
      this.exchange.pause();
    }
  }

  private failVisibly(cause: Cause, detail: string): void {
    cutVisibly(this.res, this.o, this.watcher, this.isSse, cause, detail, this.exchange, () => undefined);
    this.finish(cause, detail);
  }

  private finish(cause: Cause, detail?: string): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.idle);
    this.exchange.detach();
    this.res.off('drain', this.onDrain);
    this.res.off('close', this.onClose);
    const w = this.watcher;
    this.resolve({ cause, detail, bytesOut: this.bytesOut, usage: w?.usage(), model: w?.model, responseId: w?.responseId });
  }
}
