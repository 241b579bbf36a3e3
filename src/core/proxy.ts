// The attempt loop: pick a target, try it, fail over only while nothing was sent, relay, and record the outcome.

import { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AttemptResult, Failed, runAttempt } from './attempt';
import { Balancer } from './balancer';
import { Cause, CAUSES } from './causes';
import { errorBody } from './errorBody';
import { HealthStore } from './health';
import { requestTraits } from './headers';
import { AttemptRecord, Redactor, RequestRecord } from './log';
import { relay } from './relay';
import { retryAfterMs } from './retryAfter';
import { BudgetToken, RetryBudget } from './retryBudget';
import { Exchange } from './exchange';
import { RuntimeEndpoint, RuntimeKey, RuntimeSnapshot } from './runtime';
import { Upstream } from './upstream';

export interface PipelineDeps {
  health: HealthStore;
  balancer: Balancer;
  upstream: Upstream;
  budget: RetryBudget;
  redactor: Redactor;
  record(r: RequestRecord): void;
}

/** Key-level retries (429, 401) get their own allowance so a big key pool is usable. */
const MAX_KEY_RETRIES = 8;

/** The connection died before any response byte: on a pooled socket, the stale-socket race. */
function resetBeforeResponse(f: Failed): boolean {
  return f.cause === 'UPSTREAM_RESET' && f.status === null;
}

class ProxyAbort extends Error {
  constructor(readonly code: 'CLIENT_ABORTED' | 'TOTAL_TIMEOUT') {
    super(code === 'CLIENT_ABORTED' ? 'client went away' : 'TOTAL_TIMEOUT: the request exceeded timeouts.totalMs');
  }
}

interface RequestState {
  id: string;
  snap: RuntimeSnapshot;
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer | null;
  stream: boolean;
  model: string | undefined;
  started: number;
  /** Why the whole request was abandoned (client gone, total deadline), once it was. */
  abortReason: ProxyAbort | undefined;
  /** The running attempt's exchange: aborting the request aborts it. */
  exchange: Exchange | undefined;
  /** The answered attempt was an open circuit's half-open probe. */
  answeredByProbe: boolean;
  attempts: AttemptRecord[];
  lastEndpoint: RuntimeEndpoint | undefined;
}

export class Pipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /** Proxies one request whose body was already buffered; never throws. */
  async handle(id: string, snap: RuntimeSnapshot, req: IncomingMessage, res: ServerResponse, body: Buffer | null): Promise<void> {
    const s: RequestState = {
      id,
      snap,
      req,
      res,
      body,
      ...requestTraits(body, req.headers.accept),
      started: performance.now(),
      abortReason: undefined,
      exchange: undefined,
      answeredByProbe: false,
      attempts: [],
      lastEndpoint: undefined,
    };
    const abort = (reason: ProxyAbort) => {
      s.abortReason ??= reason;
      s.exchange?.abort(reason);
    };
    const onClose = () => {
      if (!res.writableFinished) abort(new ProxyAbort('CLIENT_ABORTED'));
    };
    res.on('close', onClose);
    const total = snap.config.timeouts.totalMs;
    const timer = total > 0 ? setTimeout(() => abort(new ProxyAbort('TOTAL_TIMEOUT')), total) : undefined;
    const retryToken = this.deps.budget.enter();
    try {
      await this.attemptLoop(s, retryToken);
    } catch (err) {
      this.respondError(s, 502, 'UPSTREAM_5XX', `internal error: ${(err as Error).message}`, {});
      this.finish(s, 502, 'UPSTREAM_5XX', null, 0);
    } finally {
      if (timer) clearTimeout(timer);
      this.deps.budget.leave(retryToken);
      res.off('close', onClose);
    }
  }

  private async attemptLoop(s: RequestState, retryToken: BudgetToken): Promise<void> {
    const { snap } = s;
    const { retry } = snap.config;
    const avoid = new Set<string>();
    const usedKeys = new Set<string>();
    const exclude = new Set<string>();
    let endpointFailures = 0;
    let keyRetries = 0;
    let lastFailure: { failed: Failed; endpoint: RuntimeEndpoint; key: RuntimeKey | undefined } | undefined;
    const rejectedKeys: string[] = [];
    const forbidden: { keyId: string; detail: string }[] = [];

    while (endpointFailures < retry.maxAttempts && keyRetries <= MAX_KEY_RETRIES) {
      if (s.abortReason) return this.aborted(s);
      if (s.attempts.length > 0 && !this.deps.budget.retry(retryToken)) {
        return this.giveUp(s, lastFailure?.failed, 'BUDGET_EXHAUSTED', 'the retry budget is exhausted (too many retries in flight); not retrying');
      }
      const pick = this.deps.balancer.pick({ cluster: snap.active, avoidEndpoints: avoid, usedKeys, excludeEndpoints: exclude, model: s.model });
      if (pick.kind === 'none' && lastFailure) break;
      if (pick.kind === 'none') {
        this.respondError(s, 503, 'NO_ENDPOINT', `cluster "${snap.active.name}" has no enabled endpoint; enable one or switch clusters`, {});
        return this.finish(s, 503, 'NO_ENDPOINT', null, 0);
      }
      if (pick.kind === 'no-key') {
        if (pick.cooling) return this.allCooling(s, pick.earliestUntil);
        // Every key was used by this request and none was rejected: they were rate limited with cooldowns already over.
        if (rejectedKeys.length === 0 && lastFailure?.failed.cause === 'RATE_LIMITED') return this.allCooling(s, Date.now());
        return this.allKeysRejected(s, lastFailure?.failed, rejectedKeys);
      }
      const { endpoint, key } = pick;
      if (avoid.has(endpoint.id)) {
        // Every other endpoint has been tried: back off before hitting this one again.
        const cap = Math.min(retry.backoffMaxMs, retry.backoffBaseMs * 2 ** endpointFailures);
        await sleep(Math.random() * cap);
        if (s.abortReason) return this.aborted(s);
      }
      const result = await this.tryTarget(s, endpoint, key);
      if (result.kind === 'answered') return this.relayAnswer(s, endpoint, key, result);
      if (result.cause === 'CLIENT_ABORTED' || result.cause === 'TOTAL_TIMEOUT') return this.aborted(s);

      lastFailure = { failed: result, endpoint, key };
      if (result.cause === 'RATE_LIMITED') {
        keyRetries++;
        if (key) {
          usedKeys.add(key.id);
          const wait = retryAfterMs(result.headers ?? {}) ?? snap.config.health.rateLimitCooldownMs;
          this.deps.health.coolKey(key.id, Date.now() + wait, 'RATE_LIMITED', `429; retry after ${Math.ceil(wait / 1000)} s`);
        } else {
          // Client's own key on a keyless endpoint: nothing to rotate here, so try elsewhere, never here again.
          exclude.add(endpoint.id);
          endpointFailures++;
        }
      } else if (result.cause === 'KEY_INVALID') {
        keyRetries++;
        if (!key) return this.passThroughFailure(s, endpoint, result);
        const sameRefusal = forbidden.find((f) => result.status === 403 && f.detail === result.detail);
        if (sameRefusal) {
          // Two keys refused with the same 403 message: the request is forbidden (a model, a region), not the keys.
          this.deps.health.restoreKey(sameRefusal.keyId);
          return this.passThroughFailure(s, endpoint, result);
        }
        if (result.status === 403) forbidden.push({ keyId: key.id, detail: result.detail });
        usedKeys.add(key.id);
        rejectedKeys.push(`${endpoint.name} ${key.suffix} (${result.status})`);
        this.deps.health.invalidateKey(key.id, `${result.status}: ${result.detail}`);
      } else {
        avoid.add(endpoint.id);
        endpointFailures++;
      }
    }
    if (lastFailure?.failed.cause === 'RATE_LIMITED' && !lastFailure.key) {
      // The client's own key is rate limited everywhere we tried: its 429 (and retry-after) is the answer.
      return this.passThroughFailure(s, lastFailure.endpoint, lastFailure.failed);
    }
    if (lastFailure?.failed.cause === 'RATE_LIMITED') {
      const cooling = this.deps.balancer.pick({ cluster: snap.active, avoidEndpoints: new Set(), usedKeys: new Set() });
      if (cooling.kind === 'no-key' && cooling.cooling) return this.allCooling(s, cooling.earliestUntil);
    }
    return this.giveUp(s, lastFailure?.failed, undefined, `all ${s.attempts.length} attempts failed`);
  }

  /** Runs one attempt, with one immediate fresh-connection retry when a pooled socket turns out stale. */
  private async tryTarget(s: RequestState, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined): Promise<AttemptResult> {
    s.lastEndpoint = endpoint;
    let result = await this.once(s, endpoint, key, false);
    if (result.kind === 'failed' && resetBeforeResponse(result) && !s.abortReason) {
      s.attempts[s.attempts.length - 1].cause = 'STALE_SOCKET';
      result = await this.once(s, endpoint, key, true);
    }
    return result;
  }

  private async once(s: RequestState, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined, fresh: boolean): Promise<AttemptResult> {
    const { timeouts } = s.snap.config;
    const probe = this.deps.health.begin(endpoint.id);
    const started = performance.now();
    const exchange = new Exchange();
    s.exchange = exchange;
    const result = await runAttempt(
      this.deps.upstream,
      {
        endpoint,
        key,
        protocol: s.snap.active.protocol,
        method: s.req.method ?? 'GET',
        path: s.req.url ?? '/',
        rawHeaders: s.req.rawHeaders,
        body: s.body,
        exchange,
        firstByteMs: s.stream ? timeouts.streamFirstByteMs : timeouts.firstByteMs,
        fresh,
      },
      started,
    );
    const ms = Math.round(performance.now() - started);
    if (result.kind === 'failed') {
      if (s.abortReason) result.cause = s.abortReason.code;
      const detail = this.deps.redactor.redact(result.detail);
      result.detail = detail;
      s.attempts.push({ endpoint: endpoint.name, key: key?.suffix ?? null, cause: result.cause, status: result.status, detail, ms });
      // A reset on a pooled socket is judged after the fresh retry, so it is not counted here.
      const neutral = resetBeforeResponse(result) && !fresh;
      this.deps.health.end(endpoint.id, key?.id, neutral ? 'STALE_SOCKET' : result.cause, detail, undefined, { probe, configFault: result.configFault });
    } else {
      s.attempts.push({ endpoint: endpoint.name, key: key?.suffix ?? null, cause: result.cause, status: result.status, ms });
      // Health for an answered attempt is recorded when the relay ends.
      s.answeredByProbe = probe;
    }
    return result;
  }

  private async relayAnswer(s: RequestState, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined, answer: AttemptResult & { kind: 'answered' }): Promise<void> {
    const out = await relay(s.res, answer, s.snap.active.protocol, s.snap.config.timeouts.idleMs, this.switchyardHeaders(s, endpoint), () => s.abortReason?.code === 'CLIENT_ABORTED');
    const cause = out.cause;
    const last = s.attempts[s.attempts.length - 1];
    last.cause = cause;
    if (out.detail) last.detail = this.deps.redactor.redact(out.detail);
    this.deps.health.end(endpoint.id, key?.id, cause, out.detail ?? CAUSES[cause].label, answer.ttfbMs, { probe: s.answeredByProbe });
    this.finish(s, answer.status, cause, answer.ttfbMs, out.bytesOut, endpoint, key);
  }

  private switchyardHeaders(s: RequestState, endpoint: RuntimeEndpoint | undefined): Record<string, string> {
    return {
      'x-switchyard-endpoint': endpoint?.name ?? 'none',
      'x-switchyard-attempts': String(s.attempts.length),
      'x-switchyard-request-id': s.id,
    };
  }

  private respondError(s: RequestState, status: number, code: Cause | string, message: string, extra: Record<string, string>): void {
    const { res } = s;
    if (res.headersSent || res.destroyed) return;
    const body = errorBody(s.snap.active.protocol, status, code, message, s.attempts);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...this.switchyardHeaders(s, s.lastEndpoint), ...extra });
    res.end(body);
  }

  private aborted(s: RequestState): void {
    const code = s.abortReason?.code ?? 'CLIENT_ABORTED';
    if (code === 'TOTAL_TIMEOUT') this.respondError(s, 504, code, 'the request exceeded timeouts.totalMs', {});
    this.finish(s, code === 'TOTAL_TIMEOUT' ? 504 : 499, code, null, 0);
  }

  private allCooling(s: RequestState, earliestUntil: number | undefined): void {
    const waitS = Math.max(1, Math.ceil(((earliestUntil ?? Date.now() + 1000) - Date.now()) / 1000));
    this.respondError(s, 429, 'KEYS_COOLING', `every key of cluster "${s.snap.active.name}" is rate limited; the soonest is free again in ${waitS} s`, { 'retry-after': String(waitS) });
    this.finish(s, 429, 'KEYS_COOLING', null, 0);
  }

  private allKeysRejected(s: RequestState, last: Failed | undefined, rejected: string[]): void {
    const status = last?.status === 403 ? 403 : 401;
    const keys = s.snap.active.endpoints.flatMap((e) => e.keys.map((k) => `${e.name} ${k.suffix}`));
    const tried = rejected.length > 0 ? `rejected now: ${rejected.join(', ')}` : `already marked invalid: ${keys.join(', ')}`;
    const upstream = last?.detail ? ` Upstream said: ${last.detail}` : '';
    this.respondError(s, status, 'KEYS_INVALID', `no valid key is left in cluster "${s.snap.active.name}" (${tried}).${upstream}`, {});
    this.finish(s, status, 'KEYS_INVALID', null, 0);
  }

  /** An upstream refusal that belongs to the client (its own key, or a request it may not make): pass it through unchanged. */
  private passThroughFailure(s: RequestState, endpoint: RuntimeEndpoint, failed: Failed): void {
    const { res } = s;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.switchyardHeaders(s, endpoint) };
    for (const name of ['retry-after', 'retry-after-ms']) {
      const value = failed.headers?.[name];
      if (typeof value === 'string') headers[name] = value;
    }
    res.writeHead(failed.status ?? 502, headers);
    res.end(failed.bodyText ?? '');
    this.finish(s, failed.status ?? 502, failed.cause, null, 0, endpoint);
  }

  private giveUp(s: RequestState, last: Failed | undefined, code: Cause | undefined, message: string): void {
    const causes = s.attempts.map((a) => a.cause).filter((c) => c !== 'STALE_SOCKET');
    let status = 502;
    if (causes.length > 0 && causes.every((c) => c === 'UPSTREAM_TIMEOUT')) status = 504;
    else if (causes.length > 0 && causes.every((c) => c === 'OVERLOADED')) status = 529;
    else if (last?.status && last.status >= 500) status = last.status === 529 ? 529 : 502;
    const finalCode = code ?? (last?.cause as Cause) ?? 'UPSTREAM_CONNECT';
    this.respondError(s, status, finalCode, message, {});
    this.finish(s, status, finalCode, null, 0);
  }

  private finish(s: RequestState, status: number, outcome: Cause, ttfbMs: number | null, bytesOut: number, endpoint?: RuntimeEndpoint, key?: RuntimeKey): void {
    this.deps.record({
      id: s.id,
      time: new Date().toISOString(),
      method: s.req.method ?? 'GET',
      path: (s.req.url ?? '/').split('?')[0],
      cluster: s.snap.active.name,
      model: s.model,
      stream: s.stream,
      endpoint: endpoint?.name ?? s.lastEndpoint?.name ?? null,
      key: key?.suffix ?? null,
      status,
      outcome,
      attempts: s.attempts,
      ttfbMs,
      durationMs: Math.round(performance.now() - s.started),
      bytesIn: s.body?.length ?? 0,
      bytesOut,
    });
  }
}
