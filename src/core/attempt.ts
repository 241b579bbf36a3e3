// One attempt against one target: send, wait for headers and the first body byte, and classify what came back.

import { Cause, causeOfError, causeOfStatus, DeadlineError, describeError, isTlsError } from './causes';
import { Protocol } from './config';
import { Exchange } from './exchange';
import { RuntimeEndpoint, RuntimeKey } from './runtime';
import { Upstream } from './upstream';
import { upstreamRequestHeaders } from './headers';

export interface AttemptInput {
  endpoint: RuntimeEndpoint;
  key: RuntimeKey | undefined;
  protocol: Protocol;
  method: string;
  /** Client path and query, appended to the endpoint's base path. */
  path: string;
  rawHeaders: string[];
  body: Buffer | null;
  /** The exchange this attempt runs on; aborting it aborts the attempt. */
  exchange: Exchange;
  firstByteMs: number;
  fresh: boolean;
}

/** The upstream answered with something to relay (success or a client error). */
export interface Answered {
  kind: 'answered';
  status: number;
  cause: Cause;
  /** Paused after its first chunk, detached, waiting for the relay. */
  exchange: Exchange;
  /** The first body chunk, already read; null when the body was empty. */
  first: Buffer | null;
  ended: boolean;
  ttfbMs: number;
}

/** The attempt failed before anything could be relayed. */
export interface Failed {
  kind: 'failed';
  cause: Cause;
  status: number | null;
  detail: string;
  headers?: Record<string, string | string[] | undefined>;
  /** The upstream's error body (capped), kept for a final pass-through. */
  bodyText?: string;
  /** A certificate problem: a configuration fault rather than a passing one. */
  configFault?: boolean;
}

export type AttemptResult = Answered | Failed;

const ERROR_BODY_CAP = 8192;
/** An error body gets this long at most: failing over must not wait on a slow error message. */
const ERROR_BODY_MS = 2000;

/** The upstream's own error message from a JSON error body, shortened. */
export function upstreamMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof json.error === 'object' ? json.error?.message : json.error ?? json.message;
    if (typeof m === 'string') return m.slice(0, 200);
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** An SSE chunk whose first real event is an error (Anthropic `event: error`, OpenAI `data: {"error"…}`), pings and comments skipped. */
function opensWithError(chunk: Buffer): boolean {
  const text = chunk.toString('latin1', 0, 2048);
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l !== '' && !l.startsWith(':'));
    if (lines.length === 0 || lines.some((l) => /^event:\s*ping/.test(l) || /^data:\s*\{"type":\s*"ping"/.test(l))) continue;
    return lines.some((l) => /^event:\s*error/.test(l)) || /^data:\s*\{"error"/.test(lines[0]);
  }
  return false;
}

function isEventStream(headers: Exchange['headers']): boolean {
  const ct = headers['content-type'];
  return typeof ct === 'string' && ct.includes('text/event-stream');
}

/** Sends the request to one target and classifies the result, reading at most the first body chunk of a passable answer. */
export function runAttempt(upstream: Upstream, a: AttemptInput, started: number): Promise<AttemptResult> {
  const exchange = a.exchange;
  return new Promise<AttemptResult>((resolve) => {
    // Our own timer rather than undici's headersTimeout: undici's fast timers only resolve to about a second.
    let deadline = a.firstByteMs > 0 ? setTimeout(() => exchange.abort(new DeadlineError('FIRST_BYTE_TIMEOUT', a.firstByteMs)), a.firstByteMs) : undefined;
    /** Stops reading an error body: what arrived so far is enough to go on. */
    const enoughErrorBody = () => exchange.abort(new Error('error body read far enough'));
    let status = 0;
    let cause: Cause = 'OK';
    /** Set while reading an error body (a failing status, or an SSE stream that opened with an error event). */
    let errorBody: Buffer[] | undefined;
    let errorSize = 0;
    let sseError = false;
    const done = (result: AttemptResult) => {
      clearTimeout(deadline);
      exchange.detach();
      resolve(result);
    };
    const failedWithBody = () => {
      const text = Buffer.concat(errorBody ?? []).subarray(0, ERROR_BODY_CAP).toString('utf8');
      if (sseError) {
        const overloaded = text.includes('overloaded');
        const data = /^data:\s*(.*)$/m.exec(text)?.[1] ?? text;
        done({ kind: 'failed', cause: overloaded ? 'OVERLOADED' : 'UPSTREAM_5XX', status, detail: upstreamMessage(data) });
      } else {
        done({ kind: 'failed', cause, status, detail: upstreamMessage(text), headers: exchange.headers, bodyText: text });
      }
    };
    exchange.attach({
      onHeaders(code) {
        status = code;
        cause = causeOfStatus(code);
        if (cause !== 'OK' && cause !== 'CLIENT_ERROR') {
          errorBody = [];
          clearTimeout(deadline);
          deadline = setTimeout(enoughErrorBody, Math.min(ERROR_BODY_MS, a.firstByteMs || ERROR_BODY_MS));
        }
      },
      onData(chunk) {
        if (errorBody) {
          errorBody.push(chunk);
          errorSize += chunk.length;
          // An SSE error event is complete at its blank line; a JSON body at the cap.
          if (errorSize >= ERROR_BODY_CAP || (sseError && chunk.includes('\n\n'))) enoughErrorBody();
          return;
        }
        if (cause === 'OK' && isEventStream(exchange.headers) && opensWithError(chunk)) {
          // An SSE stream that opens with an error (e.g. overloaded) has sent the client nothing yet: fail over.
          sseError = true;
          errorBody = [chunk];
          errorSize = chunk.length;
          if (chunk.includes('\n\n')) enoughErrorBody();
          return;
        }
        exchange.pause();
        done({ kind: 'answered', status, cause, exchange, first: chunk, ended: false, ttfbMs: Math.round(performance.now() - started) });
      },
      onEnd() {
        if (errorBody) return failedWithBody();
        if (cause === 'OK' && a.method === 'POST' && status !== 204) {
          return done({ kind: 'failed', cause: 'EMPTY_RESPONSE', status, detail: `${status} with an empty body` });
        }
        done({ kind: 'answered', status, cause, exchange, first: null, ended: true, ttfbMs: Math.round(performance.now() - started) });
      },
      onError(err) {
        if (errorBody) return failedWithBody();
        if (status === 0) {
          const detail = describeError(err);
          return done({ kind: 'failed', cause: causeOfError(err), status: null, detail, configFault: isTlsError(err) && /CERT|SELF_SIGNED|UNABLE_TO/.test(detail) });
        }
        // Headers came but the body broke before a byte reached the client: still safe to fail over.
        const timedOut = causeOfError(err) === 'UPSTREAM_TIMEOUT';
        done({ kind: 'failed', cause: timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_RESET', status, detail: describeError(err) });
      },
    });
    upstream.dispatch(
      {
        origin: a.endpoint.origin,
        path: a.endpoint.basePath + a.path,
        method: a.method,
        headers: upstreamRequestHeaders(a.rawHeaders, a.key?.value, a.endpoint.auth, a.body ? a.body.length : a.method === 'GET' || a.method === 'HEAD' ? null : 0),
        body: a.body,
        fresh: a.fresh,
      },
      exchange,
    );
  });
}
