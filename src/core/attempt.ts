// One attempt against one target: send, wait for headers and the first content, and classify what came back.

import { causeOfError, causeOfStatus, DeadlineError, describeError, isTlsError } from './classify';
import { Exchange } from './exchange';
import { upstreamRequestHeaders } from './headers';
import type { Liveness } from './liveness';
import { Cause, outcome } from './outcomes';
import type { Operation, ResponseWatcher } from './protocols';
import { RuntimeEndpoint, RuntimeKey } from './runtime';
import { Upstream } from './upstream';

export interface AttemptInput {
  endpoint: RuntimeEndpoint;
  key: RuntimeKey | undefined;
  op: Operation;
  method: string;
  /** Client path and query, appended to the endpoint's base path. */
  path: string;
  rawHeaders: string[];
  body: Buffer | null;
  /** The exchange this attempt runs on; aborting it aborts the attempt. */
  exchange: Exchange;
  firstByteMs: number;
  /**
   * For a request its first byte cannot judge (non-streaming: it comes when the whole answer is
   * ready): after `afterMs` without one, ask whether the endpoint answers at all; `hung` ends the
   * attempt as a first-byte timeout, anything else lets it wait on (asked again, less and less often).
   */
  liveness?: { afterMs: number; check(): Promise<Liveness> };
  /** How long opening frames may wait for the first content frame. */
  openingHoldMs: number;
  /** How long a body read whole (a JSON answer) may go without a byte before the attempt gives up on it. */
  idleMs: number;
  fresh: boolean;
  /** The turn moved off the account that made its bound state: a refusal of that state may be retried without it. */
  strippable: boolean;
}

/** The upstream answered with something to relay (a success, or a refusal that is the client's). */
export interface Answered {
  kind: 'answered';
  status: number;
  cause: Cause;
  /** Paused after what was read, detached, waiting for the relay. */
  exchange: Exchange;
  /** The body read so far (opening frames and the first content, or a short error body); null when empty. */
  first: Buffer | null;
  ended: boolean;
  /** Judges a 2xx body as it is relayed; undefined for other statuses. */
  watcher: ResponseWatcher | undefined;
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
/** A request found alive is asked again after twice the previous wait, at most this long. */
const LIVENESS_RECHECK_MAX_MS = 60_000;
/** An error body gets this long at most: failing over must not wait on a slow error message. */
const ERROR_BODY_MS = 2000;
/**
 * A 2xx answer that is not a stream is read whole up to this size before anything is relayed: it is
 * judged complete (its usage, an error inside a 200) and written to the client in one call, and a
 * connection that breaks before its end still fails over. A larger one streams on from here.
 */
const WHOLE_BODY_CAP = 256 * 1024;

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

function isEventStream(headers: Exchange['headers']): boolean {
  const ct = headers['content-type'];
  return typeof ct === 'string' && ct.includes('text/event-stream');
}

/** What the attempt reads before deciding: nothing yet, an error body, a client-error body, or a 2xx body. */
type Reading = 'headers' | 'failure-body' | 'refusal-body' | 'success-body';

/** Sends the request to one target and classifies the result, reading only as much of the body as that takes. */
export function runAttempt(upstream: Upstream, a: AttemptInput, started: number): Promise<AttemptResult> {
  const exchange = a.exchange;
  const api = a.op.api;
  return new Promise<AttemptResult>((resolve) => {
    // Our own timer rather than undici's headersTimeout: undici's fast timers only resolve to about a second.
    let deadline: NodeJS.Timeout | undefined = a.firstByteMs > 0 ? setTimeout(() => exchange.abort(new DeadlineError('FIRST_BYTE_TIMEOUT', a.firstByteMs)), a.firstByteMs) : undefined;
    let reading: Reading = 'headers';
    let status = 0;
    let cause: Cause = 'OK';
    let watcher: ResponseWatcher | undefined;
    /** The 2xx body is read to its end before it is answered (see WHOLE_BODY_CAP). */
    let readWhole = false;
    let held: Buffer[] = [];
    let heldSize = 0;
    let ttfbMs = 0;
    let settled = false;
    let livenessTimer: NodeJS.Timeout | undefined;
    const since = () => Math.round(performance.now() - started);
    const done = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(livenessTimer);
      exchange.detach();
      resolve(result);
    };
    const heldBody = () => (held.length === 0 ? null : held.length === 1 ? held[0] : Buffer.concat(held, heldSize));
    const answer = (ended: boolean) => {
      if (!ended) exchange.pause();
      done({ kind: 'answered', status, cause, exchange, first: heldBody(), ended, watcher, ttfbMs: ttfbMs || Math.max(1, since()) });
    };
    /** Stops reading a body: what arrived so far is enough to decide on. */
    const enough = () => exchange.abort(new Error('error body read far enough'));
    const bodyText = () => (heldBody() ?? Buffer.alloc(0)).subarray(0, ERROR_BODY_CAP).toString('utf8');
    const failWithBody = () => {
      const text = bodyText();
      done({ kind: 'failed', cause: api.classifyError(status, cause, text), status, detail: upstreamMessage(text), headers: exchange.headers, bodyText: text });
    };
    /** A client-error body read whole: the client's refusal relays as is, unless its body says it is really ours to retry. */
    const decideRefusal = (ended: boolean) => {
      if (ended && a.strippable && api.rejectsBoundState?.(status, bodyText())) {
        cause = 'BOUND_STATE_REJECTED';
        const text = bodyText();
        done({ kind: 'failed', cause, status, detail: upstreamMessage(text), headers: exchange.headers, bodyText: text });
        return;
      }
      const refined = api.classifyError(status, cause, bodyText());
      if (ended && refined !== 'CLIENT_ERROR' && outcome(refined).retry !== 'never') {
        cause = refined;
        failWithBody();
        return;
      }
      answer(ended);
    };
    const hold = (chunk: Buffer) => {
      held.push(chunk);
      heldSize += chunk.length;
    };
    /** A 2xx stream's opening frames may wait for content, so an error before any content still fails over. */
    const judgeSuccessBody = (ended: boolean) => {
      const w = watcher!;
      if (w.error && outcome(w.error.cause).retry !== 'never') {
        done({ kind: 'failed', cause: w.error.cause, status, detail: w.error.message });
        exchange.abort(new Error('the stream opened with an error'));
        return;
      }
      if (ended || w.stage === 'content' || w.error) answer(ended);
    };

    const stillWaiting = () => !settled && ttfbMs === 0 && (reading === 'headers' || reading === 'success-body');
    const watchLiveness = (check: () => Promise<Liveness>, afterMs: number) => {
      livenessTimer = setTimeout(() => {
        void check().then((verdict) => {
          if (!stillWaiting()) return;
          if (verdict !== 'hung') return watchLiveness(check, Math.min(2 * afterMs, LIVENESS_RECHECK_MAX_MS));
          const message = `no response after ${since()} ms, and a one-token probe to the same endpoint got no first byte either`;
          exchange.abort(new DeadlineError('FIRST_BYTE_TIMEOUT', since(), message));
        });
      }, afterMs);
    };
    if (a.liveness && a.liveness.afterMs < a.firstByteMs) watchLiveness(a.liveness.check, a.liveness.afterMs);

    exchange.attach({
      onHeaders(code) {
        status = code;
        cause = causeOfStatus(code);
        if (cause === 'CLIENT_ERROR' && code === 404 && a.op.notFoundTriesElsewhere) cause = 'PATH_NOT_FOUND';
        if (cause === 'OK') {
          reading = 'success-body';
          const sse = isEventStream(exchange.headers);
          watcher = code >= 200 && code < 300 ? api.watch(a.op, sse) : undefined;
          readWhole = watcher !== undefined && !sse;
          return;
        }
        reading = cause === 'CLIENT_ERROR' ? 'refusal-body' : 'failure-body';
        clearTimeout(deadline);
        deadline = setTimeout(() => (reading === 'refusal-body' ? answer(false) : enough()), Math.min(ERROR_BODY_MS, a.firstByteMs || ERROR_BODY_MS));
      },
      onData(chunk) {
        if (reading === 'failure-body') {
          hold(chunk);
          if (heldSize >= ERROR_BODY_CAP) enough();
          return;
        }
        if (reading === 'refusal-body') {
          hold(chunk);
          if (heldSize >= ERROR_BODY_CAP) answer(false);
          return;
        }
        if (ttfbMs === 0) {
          ttfbMs = Math.max(1, since());
          clearTimeout(deadline);
          deadline = undefined;
        }
        hold(chunk);
        if (!watcher) {
          answer(false);
          return;
        }
        watcher.feed(chunk);
        if (readWhole) {
          clearTimeout(deadline);
          deadline = undefined;
          // Nothing is relayed until the end (or the cap); a body that stops coming is given up, and tried elsewhere, after idleMs.
          if (heldSize >= WHOLE_BODY_CAP) answer(false);
          else if (a.idleMs > 0) deadline = setTimeout(() => exchange.abort(new DeadlineError('IDLE_TIMEOUT', a.idleMs)), a.idleMs);
          return;
        }
        const wasHolding = deadline !== undefined;
        judgeSuccessBody(false);
        if (!settled && !wasHolding && a.openingHoldMs > 0) {
          // Only opening frames so far: wait a little for content, then stream on regardless.
          deadline = setTimeout(() => answer(false), a.openingHoldMs);
        } else if (!settled && a.openingHoldMs <= 0) {
          answer(false);
        }
      },
      onEnd() {
        if (reading === 'failure-body') return failWithBody();
        if (reading === 'refusal-body') return decideRefusal(true);
        if (held.length === 0 && a.method === 'POST' && status !== 204 && status < 300) {
          return done({ kind: 'failed', cause: 'EMPTY_RESPONSE', status, detail: `${status} with an empty body` });
        }
        if (ttfbMs === 0) ttfbMs = Math.max(1, since());
        watcher?.finish();
        if (watcher) judgeSuccessBody(true);
        else answer(true);
      },
      onError(err) {
        if (settled) return;
        if (reading === 'failure-body') return failWithBody();
        if (reading === 'refusal-body') return answer(false);
        if (status === 0) {
          const detail = describeError(err);
          return done({ kind: 'failed', cause: causeOfError(err), status: null, detail, configFault: isTlsError(err) && /CERT|SELF_SIGNED|UNABLE_TO/.test(detail) });
        }
        // Headers (and maybe opening frames) came, but the body broke before a byte reached the client: still safe to fail over.
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
