// Streams an answered upstream response to the client with backpressure, judging whether it ended properly.

import { ServerResponse } from 'node:http';
import { Answered } from './attempt';
import { Cause, causeOfBodyError, CAUSES, DeadlineError, describeError } from './causes';
import { Protocol } from './config';
import { clientResponseHeaders } from './headers';
import { SseWatcher, sseErrorEvent } from './sse';

export interface RelayResult {
  cause: Cause;
  detail?: string;
  bytesOut: number;
}

/**
 * Writes headers and body. Resolves once the client response is finished or torn down; a failure
 * after the first byte ends the response visibly (SSE error event, then the connection is cut).
 */
export function relay(res: ServerResponse, answer: Answered, protocol: Protocol, idleMs: number, extraHeaders: Record<string, string>, clientGone: () => boolean): Promise<RelayResult> {
  const exchange = answer.exchange;
  const contentType = exchange.headers['content-type'];
  const isSse = typeof contentType === 'string' && contentType.includes('text/event-stream');
  const watcher = isSse && answer.status < 300 ? new SseWatcher(protocol) : undefined;
  let bytesOut = 0;

  res.writeHead(answer.status, { ...clientResponseHeaders(exchange.headers), ...extraHeaders });

  return new Promise<RelayResult>((resolve) => {
    let settled = false;
    let paused = false;
    // Any byte resets the idle deadline (pings and thinking deltas count); a slow client does not count against the upstream.
    const idle = idleMs > 0 ? setTimeout(function onIdle() {
      if (paused) idle!.refresh();
      else exchange.abort(new DeadlineError('IDLE_TIMEOUT', idleMs));
    }, idleMs) : undefined;
    const finish = (result: RelayResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      exchange.detach();
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(result);
    };
    const failVisibly = (cause: Cause, detail: string) => {
      exchange.abort(new Error('the relay ended'));
      if (watcher && !res.destroyed) {
        res.write(sseErrorEvent(protocol, cause, `Switchyard: the upstream stream failed after it began (${CAUSES[cause].label}: ${detail}); nothing can be retried once bytes were sent.`), () => res.destroy());
      } else {
        res.destroy();
      }
      finish({ cause, detail, bytesOut });
    };
    const write = (chunk: Buffer) => {
      bytesOut += chunk.length;
      idle?.refresh();
      watcher?.feed(chunk);
      if (!res.write(chunk)) {
        paused = true;
        exchange.pause();
      }
    };
    const onEnd = () => {
      if (settled) return;
      if (watcher && !watcher.finished) {
        failVisibly('STREAM_INCOMPLETE', watcher.upstreamError ?? 'the stream ended without its final event');
        return;
      }
      res.end();
      finish({ cause: answer.cause, bytesOut });
    };
    const onError = (err: Error) => {
      if (settled) return;
      if (clientGone()) {
        finish({ cause: 'CLIENT_ABORTED', bytesOut });
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
        finish({ cause: 'CLIENT_ABORTED', bytesOut });
      }
    };

    res.on('drain', onDrain);
    res.on('close', onClose);
    if (answer.first) write(answer.first);
    if (answer.ended) {
      onEnd();
      return;
    }
    exchange.attach({
      onHeaders() {},
      onData: (chunk) => {
        if (!settled) write(chunk);
      },
      onEnd,
      onError,
    });
    if (!paused && !settled) exchange.resume();
  });
}
