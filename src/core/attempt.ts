// One attempt against one target: send, wait for headers and the first body byte, and classify what came back.

import { Dispatcher } from 'undici';
import { Cause, causeOfError, causeOfStatus, DeadlineError, describeError, isTlsError } from './causes';
import { Protocol } from './config';
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
  /** Aborts this attempt; the first-byte deadline uses it too. */
  controller: AbortController;
  firstByteMs: number;
  fresh: boolean;
}

/** The upstream answered with something to relay (success or a client error). */
export interface Answered {
  kind: 'answered';
  status: number;
  cause: Cause;
  response: Dispatcher.ResponseData;
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

function ignore(): void {}

async function readCapped(body: Dispatcher.ResponseData['body'], cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= cap) break;
    }
  } catch {
    // A broken error body still leaves the status to go on.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, cap).toString('utf8');
}

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

/** Waits for the first body chunk (or the end) without consuming more than it. */
function firstChunk(body: Dispatcher.ResponseData['body']): Promise<{ chunk: Buffer | null; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      body.pause();
      cleanup();
      resolve({ chunk, ended: false });
    };
    const onEnd = () => {
      cleanup();
      resolve({ chunk: null, ended: true });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

function isEventStream(headers: Record<string, string | string[] | undefined>): boolean {
  const ct = headers['content-type'];
  return typeof ct === 'string' && ct.includes('text/event-stream');
}

/** Sends the request to one target and classifies the result; the body of a Failed result is always released. */
export async function runAttempt(upstream: Upstream, a: AttemptInput, started: number): Promise<AttemptResult> {
  // Our own timer rather than undici's headersTimeout: undici's fast timers only resolve to about a second.
  const deadline = a.firstByteMs > 0 ? setTimeout(() => a.controller.abort(new DeadlineError('FIRST_BYTE_TIMEOUT', a.firstByteMs)), a.firstByteMs) : undefined;
  let response: Dispatcher.ResponseData;
  try {
    response = await upstream.request({
      origin: a.endpoint.origin,
      path: a.endpoint.basePath + a.path,
      method: a.method,
      headers: upstreamRequestHeaders(a.rawHeaders, a.key?.value, a.endpoint.auth, a.body ? a.body.length : a.method === 'GET' || a.method === 'HEAD' ? null : 0),
      body: a.body,
      signal: a.controller.signal,
      fresh: a.fresh,
    });
  } catch (err) {
    clearTimeout(deadline);
    return { kind: 'failed', cause: causeOfError(err), status: null, detail: describeError(err), configFault: isTlsError(err) && /CERT|SELF_SIGNED|UNABLE_TO/.test(describeError(err)) };
  }
  // Errors between our own listeners must never become uncaught exceptions; `errored` keeps them.
  response.body.on('error', ignore);
  const status = response.statusCode;
  const cause = causeOfStatus(status);
  if (cause !== 'OK' && cause !== 'CLIENT_ERROR') {
    clearTimeout(deadline);
    const bodyText = await readCapped(response.body, ERROR_BODY_CAP);
    return { kind: 'failed', cause, status, detail: upstreamMessage(bodyText), headers: response.headers, bodyText };
  }
  let first: { chunk: Buffer | null; ended: boolean };
  try {
    first = a.method === 'HEAD' || status === 204 || status === 304 ? { chunk: null, ended: true } : await firstChunk(response.body);
  } catch (err) {
    clearTimeout(deadline);
    response.body.destroy();
    // Headers came but the body broke before a byte reached the client: still safe to fail over.
    const timedOut = causeOfError(err) === 'UPSTREAM_TIMEOUT';
    return { kind: 'failed', cause: timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_RESET', status, detail: describeError(err) };
  }
  clearTimeout(deadline);
  const ttfbMs = Math.round(performance.now() - started);
  if (cause === 'OK' && first.ended && a.method === 'POST') {
    return { kind: 'failed', cause: 'EMPTY_RESPONSE', status, detail: `${status} with an empty body` };
  }
  if (cause === 'OK' && first.chunk && isEventStream(response.headers) && first.chunk.toString('latin1', 0, 64).startsWith('event: error')) {
    // An SSE stream that opens with an error (e.g. overloaded) has sent the client nothing yet: fail over.
    const text = first.chunk.toString('utf8') + (await readCapped(response.body, ERROR_BODY_CAP));
    const overloaded = text.includes('overloaded');
    return { kind: 'failed', cause: overloaded ? 'OVERLOADED' : 'UPSTREAM_5XX', status, detail: upstreamMessage(text.replace(/^event: error\s*data:\s*/, '')) };
  }
  return { kind: 'answered', status, cause, response, first: first.chunk, ended: first.ended, ttfbMs };
}
