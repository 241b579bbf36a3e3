// Streams an answered upstream response to the client with backpressure; the adapter's watcher judges how it ended.

import { ServerResponse } from 'node:http';
import { Answered } from './attempt';
import { causeOfBodyError, DeadlineError, describeError } from './classify';
import { clientResponseHeaders } from './headers';
import { Cause, outcome } from './outcomes';
import type { ApiAdapter, Usage } from './protocols';

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
  const exchange = answer.exchange;
  const watcher = answer.watcher;
  const contentType = exchange.headers['content-type'];
  const isSse = typeof contentType === 'string' && contentType.includes('text/event-stream');
  let bytesOut = 0;

  res.writeHead(answer.status, { ...clientResponseHeaders(exchange.headers), ...o.extraHeaders });

  return new Promise<RelayResult>((resolve) => {
    let settled = false;
    let paused = false;
    // Any byte resets the idle deadline (pings and thinking deltas count); a slow client does not count against the upstream.
    const idle = o.idleMs > 0 ? setTimeout(function onIdle() {
      if (paused) idle!.refresh();
      else exchange.abort(new DeadlineError('IDLE_TIMEOUT', o.idleMs));
    }, o.idleMs) : undefined;
    const finish = (cause: Cause, detail?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      exchange.detach();
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve({ cause, detail, bytesOut, usage: watcher?.usage(), model: watcher?.model, responseId: watcher?.responseId });
    };
    const failVisibly = (cause: Cause, detail: string) => {
      exchange.abort(new Error('the relay ended'));
      if (isSse && watcher && !res.destroyed) {
        const message = `Switchyard: the upstream stream failed after it began (${outcome(cause).label}: ${detail}); nothing can be retried once bytes were sent.`;
        res.write(o.api.cutStream(watcher, cause, message), () => cutAfterDelivery(res));
      } else {
        res.destroy();
      }
      finish(cause, detail);
    };
    const write = (chunk: Buffer, fed: boolean) => {
      bytesOut += chunk.length;
      idle?.refresh();
      if (!fed) watcher?.feed(chunk);
      if (!res.write(chunk)) {
        paused = true;
        exchange.pause();
      }
    };
    const onEnd = () => {
      if (settled) return;
      if (!answer.ended) watcher?.finish();
      const error = watcher?.ended ? undefined : watcher?.error;
      if (error) {
        const detail = error.code ? `${error.code}: ${error.message}` : error.message;
        // The upstream ended the stream with its own error event: the client saw it, so the end stays as sent.
        if (error.final) {
          res.end();
          finish(midStreamCause(error.cause), detail);
        } else {
          failVisibly(midStreamCause(error.cause), detail);
        }
        return;
      }
      if (watcher && !watcher.ended) {
        failVisibly('STREAM_INCOMPLETE', 'the stream ended without its final event');
        return;
      }
      res.end();
      finish(answer.cause);
    };
    const onError = (err: Error) => {
      if (settled) return;
      if (o.clientGone()) {
        finish('CLIENT_ABORTED');
        return;
      }
      const cause = describeError(err).includes('TOTAL_TIMEOUT') ? 'TOTAL_TIMEOUT' : causeOfBodyError(err);
      failVisibly(cause, describeError(err));
    };
    const onDrain = () => {
      paused = false;
      idle?.refresh();
      exchange.resume();
    };
    const onClose = () => {
      if (!res.writableFinished) {
        exchange.abort(new Error('the client went away'));
        finish('CLIENT_ABORTED');
      }
    };

    res.on('drain', onDrain);
    res.on('close', onClose);
    // The attempt already fed what it read to the watcher.
    if (answer.first) write(answer.first, true);
    if (answer.ended) {
      onEnd();
      return;
    }
    exchange.attach({
      onHeaders() {},
      onData: (chunk) => {
        if (!settled) write(chunk, false);
      },
      onEnd,
      onError,
    });
    if (!paused && !settled) exchange.resume();
  });
}
