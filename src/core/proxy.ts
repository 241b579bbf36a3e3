// The attempt loop: pick a target, try it, fail over as the outcome table and the operation allow, relay, record.

import { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AffinityResult, AffinityStore, PinnedTarget } from './affinity';
import { AttemptResult, Failed, runAttempt } from './attempt';
import { Balancer, Pick } from './balancer';
import { PROTOCOLS } from './config';
import { Exchange } from './exchange';
import { DEADLINE_MULTIPLIER, estimateTokens, FirstByteDeadline, FirstByteDeadlines, generates, nonStreamingDeadline } from './firstByteDeadline';
import { HealthStore } from './health';
import { Leg, raceWithHedge } from './hedge';
import { LivenessProber } from './liveness';
import { AttemptRecord, isoTime, Redactor, RequestRecord } from './log';
import { Cause, outcome, OutcomeInfo } from './outcomes';
import type { FailoverPolicy, RequestRoute, RequestTraits, Usage } from './protocols';
import { relay } from './relay';
import { retryAfterMs } from './retryAfter';
import { BudgetToken, RetryBudget } from './retryBudget';
import { RuntimeCluster, RuntimeEndpoint, RuntimeKey, RuntimeSnapshot } from './runtime';
import { Upstream } from './upstream';
import { costOf, priceOf } from './prices';
import { UsageLedger } from './usageLedger';

export interface PipelineDeps {
  health: HealthStore;
  balancer: Balancer;
  upstream: Upstream;
  budget: RetryBudget;
  redactor: Redactor;
  /** Conversation → the target that served it last (prompt caches stay warm). */
  affinity: AffinityStore;
  /** Response id → the target that made it (continuations are bound to that key). */
  responses: AffinityStore;
  usage: UsageLedger;
  /** Learned first-byte deadlines per endpoint × model. */
  deadlines: FirstByteDeadlines;
  /** Probes an endpoint a non-streaming request has waited on far too long. */
  liveness: LivenessProber;
  record(r: RequestRecord): void;
  /** A line worth a person's attention that is about one request (a conversation that had to drop state). */
  warn(message: string): void;
}

/** Key-level retries (429, 401) get their own allowance so a big key pool is usable. */
const MAX_KEY_RETRIES = 8;

/** The connection died before any response byte: on a pooled socket, the stale-socket race. */
function resetBeforeResponse(f: Failed): boolean {
  return f.cause === 'UPSTREAM_RESET' && f.status === null;
}

/** Whether an operation's failover policy lets an outcome be retried elsewhere. */
function mayRetry(policy: FailoverPolicy, info: OutcomeInfo): boolean {
  if (info.retry === 'never' || policy === 'single-target') return false;
  return policy === 'full' || !info.reachedUpstream;
}

class ProxyAbort extends Error {
  constructor(readonly code: 'CLIENT_ABORTED' | 'TOTAL_TIMEOUT') {
    super(code === 'CLIENT_ABORTED' ? 'client went away' : 'TOTAL_TIMEOUT: the request exceeded timeouts.totalMs');
  }
}

type ExchangeSlot = 'exchange' | 'hedgeExchange';

/** What the attempt loop has ruled out so far (a hedge must go elsewhere). */
interface TriedSoFar {
  avoid: ReadonlySet<string>;
  usedKeys: ReadonlySet<string>;
  exclude: ReadonlySet<string>;
}

/** An attempt's result with the target it ran on, and other endpoints that failed beside it (a hedge). */
interface Tried {
  result: AttemptResult;
  endpoint: RuntimeEndpoint;
  key: RuntimeKey | undefined;
  alsoFailed: RuntimeEndpoint[];
}

interface RequestState {
  id: string;
  snap: RuntimeSnapshot;
  route: RequestRoute;
  cluster: RuntimeCluster | undefined;
  traits: RequestTraits;
  policy: FailoverPolicy;
  /** Why the client's credentials look like a subscription login, when they do. */
  login: string | undefined;
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer | null;
  started: number;
  /** Why the whole request was abandoned (client gone, total deadline), once it was. */
  abortReason: ProxyAbort | undefined;
  /** The running attempt's exchange: aborting the request aborts it. */
  exchange: Exchange | undefined;
  /** A hedged second attempt's exchange, while one runs beside the first. */
  hedgeExchange: Exchange | undefined;
  /** The request has had its hedge (one per request). */
  hedged: boolean;
  /** The answered attempt was an open circuit's half-open probe. */
  answeredByProbe: boolean;
  /** When the answered attempt started (Date.now()): only attempts begun after a stall can disprove it. */
  answeredStartedAt: number;
  /** Grows after a timeout at a deadline with no history behind it: the request may be merely slow, so the next attempt waits longer. */
  deadlineScale: number;
  attempts: AttemptRecord[];
  lastEndpoint: RuntimeEndpoint | undefined;
  /** Aborted with the request: wakes a wait for a cooldown. Made only when a request waits (an AbortController is not free). */
  signal: AbortController | undefined;
  /** Where the conversation (or the response it continues) was served before, if anywhere. */
  pinned: PinnedTarget | undefined;
  /** The pin holds state bound to its account (a continuation, thinking signatures, encrypted reasoning); found out only when it matters. */
  hardPin: boolean | undefined;
  /** The bound state was already dropped once for this request. */
  stripped: boolean;
  /** The next attempt must go to this target again (after dropping bound state). */
  retryHere: { endpoint: RuntimeEndpoint; key: RuntimeKey | undefined } | undefined;
  /** How long this request has waited for key cooldowns so far. */
  waitedMs: number;
}

/**
 * The cluster a request goes to: its family's active one. A path no adapter owns may use the other
 * family's cluster when its own family has none, so a one-cluster set-up passes everything through.
 */
function clusterFor(snap: RuntimeSnapshot, route: RequestRoute): RuntimeCluster | undefined {
  const own = snap.activeByFamily[route.family];
  if (own || route.op.api.name !== 'passthrough') return own;
  const other = PROTOCOLS.find((f) => f !== route.family && snap.activeByFamily[f]);
  return other ? snap.activeByFamily[other] : undefined;
}

export class Pipeline {
  /** Exchanges of hedged attempts cancelled because the other answered first. */
  private readonly cancelled = new WeakSet<Exchange>();
  /** What a hedge race needs to settle an answered attempt it did or did not pick. */
  private readonly answeredMeta = new WeakMap<AttemptResult, { probe: boolean; startedAt: number; record: AttemptRecord }>();

  constructor(private readonly deps: PipelineDeps) {}

  /** Proxies one request whose body was already buffered; never throws. */
  async handle(id: string, snap: RuntimeSnapshot, route: RequestRoute, req: IncomingMessage, res: ServerResponse, body: Buffer | null): Promise<void> {
    const traits = route.op.api.traits(route.op, body, req.headers, route.pathname);
    const s: RequestState = {
      id,
      snap,
      route,
      cluster: clusterFor(snap, route),
      traits,
      // A continuation is bound to the key that made the response: one target, its own answer passes through.
      policy: traits.continuation !== undefined ? 'single-target' : route.op.failover,
      login: route.op.api.subscriptionLogin(req.headers),
      req,
      res,
      body,
      started: performance.now(),
      abortReason: undefined,
      exchange: undefined,
      hedgeExchange: undefined,
      hedged: false,
      answeredByProbe: false,
      answeredStartedAt: 0,
      deadlineScale: 1,
      attempts: [],
      lastEndpoint: undefined,
      signal: undefined,
      pinned: undefined,
      hardPin: traits.continuation !== undefined ? true : undefined,
      stripped: false,
      retryHere: undefined,
      waitedMs: 0,
    };
    s.pinned = this.pinOf(s);
    const abort = (reason: ProxyAbort) => {
      s.abortReason ??= reason;
      s.exchange?.abort(reason);
      s.signal?.abort(reason);
      s.hedgeExchange?.abort(reason);
    };
    const onClose = () => {
      if (!res.writableFinished) abort(new ProxyAbort('CLIENT_ABORTED'));
    };
    res.on('close', onClose);
    const total = snap.config.timeouts.totalMs;
    const timer = total > 0 ? setTimeout(() => abort(new ProxyAbort('TOTAL_TIMEOUT')), total) : undefined;
    const retryToken = this.deps.budget.enter();
    try {
      if (!s.cluster) {
        this.respondError(s, 503, 'NO_CLUSTER', `no ${route.family} cluster is configured for ${route.pathname}; add one (protocol "${route.family}") or point this client elsewhere`, {});
        this.finish(s, 503, 'NO_CLUSTER', null, 0);
      } else {
        await this.attemptLoop(s, s.cluster, retryToken);
      }
    } catch (err) {
      this.respondError(s, 502, 'INTERNAL_ERROR', `internal error: ${(err as Error).message}`, {});
      this.finish(s, 502, 'INTERNAL_ERROR', null, 0);
    } finally {
      if (timer) clearTimeout(timer);
      this.deps.budget.leave(retryToken);
      res.off('close', onClose);
    }
  }

  private async attemptLoop(s: RequestState, cluster: RuntimeCluster, retryToken: BudgetToken): Promise<void> {
    const { retry } = s.snap.config;
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
      const pin = s.retryHere ?? this.usablePin(s, cluster, avoid, usedKeys, exclude);
      s.retryHere = undefined;
      if (pin && 'waitMs' in pin) {
        // The pinned key (holding this conversation's state) is free again soon: worth the wait, once.
        if (!(await this.waitForCooldown(s, pin.waitMs))) s.hardPin = false;
        if (s.abortReason) return this.aborted(s);
        continue;
      }
      const pick: Pick = pin ? { kind: 'target', endpoint: pin.endpoint, key: pin.key, tier: -1 } : this.deps.balancer.pick({ cluster, avoidEndpoints: avoid, usedKeys, excludeEndpoints: exclude, model: s.traits.model });
      if (pick.kind === 'none' && lastFailure) break;
      if (pick.kind === 'none') {
        this.respondError(s, 503, 'NO_ENDPOINT', `cluster "${cluster.name}" has no enabled endpoint; enable one or switch clusters`, {});
        return this.finish(s, 503, 'NO_ENDPOINT', null, 0);
      }
      if (pick.kind === 'no-key') {
        if (pick.cooling || (rejectedKeys.length === 0 && lastFailure?.failed.cause === 'RATE_LIMITED')) {
          // Every key is resting: wait for the earliest (Codex does not retry a 429 itself), within retry.cooldownWaitMs.
          if (await this.waitForCooldown(s, (pick.earliestUntil ?? Date.now()) - Date.now())) {
            if (s.abortReason) return this.aborted(s);
            usedKeys.clear();
            continue;
          }
          return this.allCooling(s, cluster, pick.earliestUntil ?? Date.now());
        }
        return this.allKeysRejected(s, cluster, lastFailure?.failed, rejectedKeys);
      }
      let { endpoint, key } = pick;
      if (avoid.has(endpoint.id)) {
        // Every other endpoint has been tried: back off before hitting this one again.
        const cap = Math.min(retry.backoffMaxMs, retry.backoffBaseMs * 2 ** endpointFailures);
        await sleep(Math.random() * cap);
        if (s.abortReason) return this.aborted(s);
      }
      const tried = await this.tryHedged(s, cluster, endpoint, key, { avoid, usedKeys, exclude }, retryToken);
      ({ endpoint, key } = tried);
      for (const other of tried.alsoFailed) {
        avoid.add(other.id);
        endpointFailures++;
      }
      const result = tried.result;
      if (result.kind === 'answered') {
        this.deps.budget.answered(retryToken);
        return this.relayAnswer(s, endpoint, key, result);
      }
      if (result.cause === 'CLIENT_ABORTED' || result.cause === 'TOTAL_TIMEOUT') return this.aborted(s);

      lastFailure = { failed: result, endpoint, key };
      const info = outcome(result.cause);
      if (info.retry === 'strip-state') {
        const stripped = s.route.op.api.stripBoundState?.(s.body ?? Buffer.alloc(0));
        if (!stripped) return this.passThroughFailure(s, endpoint, result);
        this.deps.warn(`[affinity] ${s.id}: the conversation moved from ${this.describePin(cluster, s.pinned)} to ${endpoint.name}${key ? ` ${key.suffix}` : ''}, whose account refused the old account's state (${result.detail}); retrying once without it`);
        s.body = stripped;
        s.stripped = true;
        s.retryHere = { endpoint, key };
        continue;
      }
      if (info.keyEffect && !key) {
        // The client's own key: nothing to rotate. A rate limit may be another upstream account's; a rejection is final.
        if (info.keyEffect === 'invalidate' || !mayRetry(s.policy, info)) return this.passThroughFailure(s, endpoint, result);
        exclude.add(endpoint.id);
        endpointFailures++;
        continue;
      }
      if (info.keyEffect === 'invalidate' && key && result.cause === 'KEY_FORBIDDEN') {
        const sameRefusal = forbidden.find((f) => f.detail === result.detail);
        if (sameRefusal) {
          // Two keys refused with the same 403 message: the request is forbidden (a model, a region), not the keys.
          this.deps.health.restoreKey(sameRefusal.keyId);
          return this.passThroughFailure(s, endpoint, result);
        }
        forbidden.push({ keyId: key.id, detail: result.detail });
      }
      if (key && info.keyEffect) this.applyKeyEffect(s, key, result.cause, result.detail, result.headers);
      if (key && info.keyEffect === 'invalidate') rejectedKeys.push(`${endpoint.name} ${key.suffix} (${result.status})`);
      if (!mayRetry(s.policy, info)) {
        return result.status !== null ? this.passThroughFailure(s, endpoint, result) : this.giveUp(s, result, undefined, `the attempt failed and this request may not be retried (${s.policy === 'single-target' ? 'it continues a response made on one key' : 'it may have side effects'})`);
      }
      if (info.retry === 'next-key') {
        keyRetries++;
        usedKeys.add(key!.id);
      } else {
        avoid.add(endpoint.id);
        endpointFailures++;
      }
    }
    if (lastFailure && (lastFailure.failed.cause === 'PATH_NOT_FOUND' || (lastFailure.failed.cause === 'RATE_LIMITED' && !lastFailure.key))) {
      // No endpoint serves the path, or the client's own key is rate limited everywhere: the upstream's answer is the answer.
      return this.passThroughFailure(s, lastFailure.endpoint, lastFailure.failed);
    }
    if (lastFailure?.failed.cause === 'RATE_LIMITED') {
      // Rate limits to the end: a 429 with the soonest retry-after, after waiting for it when that fits the allowance.
      const cooling = this.deps.balancer.pick({ cluster, avoidEndpoints: new Set(), usedKeys: new Set() });
      const until = cooling.kind === 'no-key' && cooling.cooling ? cooling.earliestUntil : undefined;
      if (until !== undefined && (await this.waitForCooldown(s, until - Date.now()))) return s.abortReason ? this.aborted(s) : this.attemptLoop(s, cluster, retryToken);
      return this.allCooling(s, cluster, until ?? Date.now());
    }
    return this.giveUp(s, lastFailure?.failed, undefined, `all ${s.attempts.length} attempts failed`);
  }

  /** The target this request should go back to: the one that made the response it continues, else its conversation's. */
  private pinOf(s: RequestState): PinnedTarget | undefined {
    if (!s.cluster?.affinity) return s.traits.continuation ? this.deps.responses.get(s.traits.continuation) : undefined;
    const byResponse = s.traits.continuation ? this.deps.responses.get(s.traits.continuation) : undefined;
    return byResponse ?? (s.traits.conversation ? this.deps.affinity.get(s.traits.conversation.key) : undefined);
  }

  /**
   * The pinned target when it may serve this attempt. Stickiness never overrides health: a disabled,
   * ejected, invalid or cooling target is not used (a hard pin waits for a key that is free again
   * within retry.cooldownWaitMs), and a soft pin also leaves an unhealthy endpoint. A continuation
   * by response id goes back whatever the health, since no other account knows the response.
   */
  private usablePin(s: RequestState, cluster: RuntimeCluster, avoid: ReadonlySet<string>, usedKeys: ReadonlySet<string>, exclude: ReadonlySet<string>): { endpoint: RuntimeEndpoint; key: RuntimeKey | undefined } | { waitMs: number } | undefined {
    const p = s.pinned;
    if (!p) return undefined;
    const endpoint = cluster.endpoints.find((e) => e.id === p.endpointId);
    if (!endpoint || endpoint.disabled || avoid.has(endpoint.id) || exclude.has(endpoint.id)) return undefined;
    const key = p.keyId === undefined ? undefined : endpoint.keys.find((k) => k.id === p.keyId);
    if ((p.keyId !== undefined && !key) || (p.keyId === undefined && endpoint.keys.length > 0) || (key && usedKeys.has(key.id))) return undefined;
    if (s.traits.continuation !== undefined && this.deps.responses.get(s.traits.continuation)) return { endpoint, key };
    const h = this.deps.health.endpoint(endpoint.id);
    if (h.state === 'open' && !h.probeReady) return undefined;
    if (h.state === 'unhealthy' && !this.isHardPin(s)) return undefined;
    if (key) {
      const k = this.deps.health.key(key.id);
      if (k.state === 'invalid') return undefined;
      if (k.state === 'cooling') {
        const left = (k.until ?? Date.now()) - Date.now();
        return left <= s.snap.config.retry.cooldownWaitMs - s.waitedMs && this.isHardPin(s) ? { waitMs: left } : undefined;
      }
    }
    return { endpoint, key };
  }

  /** Whether the pin is hard: asked of the body (a whole-body search) only when a pinned turn meets an unhealthy endpoint or a cooling key. */
  private isHardPin(s: RequestState): boolean {
    s.hardPin ??= s.traits.boundState?.() === true;
    return s.hardPin;
  }

  /** Waits `ms` (aborted with the request) when the request's cooldown-wait allowance covers it; false when it does not. */
  private async waitForCooldown(s: RequestState, ms: number): Promise<boolean> {
    const wait = Math.max(0, Math.ceil(ms)) + 5;
    if (s.waitedMs + wait > s.snap.config.retry.cooldownWaitMs) return false;
    s.waitedMs += wait;
    if (s.abortReason) return true;
    s.signal ??= new AbortController();
    await sleep(wait, undefined, { signal: s.signal.signal }).catch(() => undefined);
    return true;
  }

  private describePin(cluster: RuntimeCluster, p: PinnedTarget | undefined): string {
    const e = p && cluster.endpoints.find((x) => x.id === p.endpointId);
    const k = p?.keyId && e?.keys.find((x) => x.id === p.keyId);
    return e ? `${e.name}${k ? ` ${k.suffix}` : ''}` : 'a target that is gone';
  }

  /** How this turn relates to its conversation's pin: served where it was pinned, moved, or the conversation is new. */
  private affinityOf(s: RequestState, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined): AffinityResult | undefined {
    if (!s.cluster?.affinity || !s.traits.conversation) return undefined;
    if (!s.pinned) return 'new';
    return s.pinned.endpointId === endpoint.id && s.pinned.keyId === key?.id ? 'hit' : 'moved';
  }

  /** A key-scoped outcome rests the key (a 429, with the upstream's retry-after) or takes it out (401/403, no quota). */
  private applyKeyEffect(s: RequestState, key: RuntimeKey, cause: Cause, detail: string, headers: Failed['headers']): void {
    const info = outcome(cause);
    if (info.keyEffect === 'cool') {
      const wait = retryAfterMs(headers ?? {}) ?? s.snap.config.health.rateLimitCooldownMs;
      this.deps.health.coolKey(key.id, Date.now() + wait, cause, `${cause === 'RATE_LIMITED' ? '429' : cause}; retry after ${Math.ceil(wait / 1000)} s`);
    } else if (info.keyEffect === 'invalidate') {
      this.deps.health.invalidateKey(key.id, `${cause}: ${detail}`, cause);
    }
  }

  /**
   * One attempt, hedged when retry.hedgeAfterMs is on: a stream of a generation with no answer after
   * max(hedgeAfterMs, its expected time to first byte) also goes to another endpoint that is healthy
   * or degraded (within the retry budget); the first to answer is relayed, the other cancelled.
   */
  private async tryHedged(s: RequestState, cluster: RuntimeCluster, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined, seen: TriedSoFar, retryToken: BudgetToken): Promise<Tried> {
    const hedgeAfterMs = s.snap.config.retry.hedgeAfterMs;
    if (hedgeAfterMs <= 0 || s.hedged || !s.traits.stream || !generates(s.route.op) || s.policy !== 'full') {
      return { result: await this.tryTarget(s, endpoint, key), endpoint, key, alsoFailed: [] };
    }
    const leg = (slot: ExchangeSlot, e: RuntimeEndpoint, k: RuntimeKey | undefined): Leg<Tried> => ({
      outcome: this.tryTarget(s, e, k, slot).then((result) => ({ result, endpoint: e, key: k, alsoFailed: [] })),
      cancel: () => {
        const exchange = s[slot];
        if (!exchange) return;
        this.cancelled.add(exchange);
        exchange.abort(new Error('HEDGE_CANCELLED: the other attempt answered first'));
      },
    });
    const second = () => {
      const others = { avoidEndpoints: new Set([...seen.avoid, endpoint.id]), excludeEndpoints: new Set([...seen.exclude, endpoint.id]) };
      const pick = this.deps.balancer.pick({ cluster, ...others, usedKeys: seen.usedKeys, model: s.traits.model });
      // Tiers 0 and 1: healthy or degraded. A hedge onto an ejected endpoint would only add load where it hurts.
      if (pick.kind !== 'target' || pick.tier > 1 || !this.deps.budget.retry(retryToken)) return undefined;
      s.hedged = true;
      return leg('hedgeExchange', pick.endpoint, pick.key);
    };
    const afterMs = Math.max(hedgeAfterMs, this.firstByteDeadline(s, endpoint).deadline.expectedMs ?? 0);
    const race = await raceWithHedge(leg('exchange', endpoint, key), second, afterMs, (t) => t.result.kind === 'answered');
    for (const t of race.settled) {
      if (t === race.winner || t.result.kind !== 'answered') continue;
      // Both answered: the later one is let go before its first byte was relayed.
      const meta = this.answeredMeta.get(t.result)!;
      meta.record.cause = 'HEDGE_CANCELLED';
      this.deps.health.end(t.endpoint.id, t.key?.id, 'HEDGE_CANCELLED', outcome('HEDGE_CANCELLED').label, undefined, { probe: meta.probe });
    }
    const final = race.winner ?? race.settled[race.settled.length - 1];
    if (final.result.kind === 'answered') {
      const meta = this.answeredMeta.get(final.result)!;
      s.answeredByProbe = meta.probe;
      s.answeredStartedAt = meta.startedAt;
    }
    s.lastEndpoint = final.endpoint;
    const alsoFailed = race.settled.filter((t) => t !== final && t.result.kind === 'failed' && t.result.cause !== 'HEDGE_CANCELLED');
    for (const t of alsoFailed) {
      const failed = t.result as Failed;
      if (t.key && outcome(failed.cause).keyEffect) this.applyKeyEffect(s, t.key, failed.cause, failed.detail, failed.headers);
    }
    return { ...final, alsoFailed: alsoFailed.map((t) => t.endpoint) };
  }

  /** Runs one attempt, with one immediate fresh-connection retry when a pooled socket turns out stale. */
  private async tryTarget(s: RequestState, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined, slot: ExchangeSlot = 'exchange'): Promise<AttemptResult> {
    s.lastEndpoint = endpoint;
    let result = await this.once(s, endpoint, key, false, slot);
    if (result.kind === 'failed' && resetBeforeResponse(result) && !s.abortReason) {
      s.attempts[s.attempts.length - 1].cause = 'STALE_SOCKET';
      result = await this.once(s, endpoint, key, true, slot);
    }
    return result;
  }

  /**
   * The attempt's first-byte deadline: for a stream, the endpoint's learned one for this model and
   * size; for a non-streaming generation (its first byte comes only when it is complete), that plus
   * its output cap at the slowest rate, with a liveness probe once it waited as long as a stream would.
   */
  private firstByteDeadline(s: RequestState, endpoint: RuntimeEndpoint): { deadline: FirstByteDeadline; livenessAfterMs?: number } {
    const { timeouts } = s.snap.config;
    if (!generates(s.route.op)) {
      const ms = s.traits.stream ? timeouts.streamFirstByteMs : timeouts.firstByteMs;
      return { deadline: { ms, basis: 'configured', conclusive: true, expectedMs: null, reason: s.traits.stream ? 'timeouts.streamFirstByteMs' : 'timeouts.firstByteMs' } };
    }
    const peers = s.cluster?.endpointIds ?? [];
    let stream = this.deps.deadlines.forStream(endpoint.id, peers, s.traits.model, estimateTokens(s.body?.length ?? 0), timeouts);
    if (s.deadlineScale !== 1) {
      const ms = Math.min(timeouts.streamFirstByteMs, Math.round(stream.ms * s.deadlineScale));
      const limit = ms === timeouts.streamFirstByteMs;
      stream = { ...stream, ms, basis: limit ? 'configured' : stream.basis, conclusive: limit || stream.conclusive, reason: `${stream.reason}, × ${s.deadlineScale} after a timeout without history` };
    }
    if (s.traits.stream) return { deadline: stream };
    const deadline = nonStreamingDeadline(stream, s.traits.maxOutputTokens, timeouts.firstByteMs);
    const probe = s.snap.config.health.livenessProbe === 'on' && s.traits.model !== undefined && stream.ms < deadline.ms;
    return { deadline, livenessAfterMs: probe ? stream.ms : undefined };
  }

  private async once(s: RequestState, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined, fresh: boolean, slot: ExchangeSlot = 'exchange'): Promise<AttemptResult> {
    const { timeouts } = s.snap.config;
    const { deadline, livenessAfterMs } = this.firstByteDeadline(s, endpoint);
    const probe = this.deps.health.begin(endpoint.id);
    const startedAt = Date.now();
    const started = performance.now();
    const exchange = new Exchange();
    s[slot] = exchange;
    const result = await runAttempt(
      this.deps.upstream,
      {
        endpoint,
        key,
        op: s.route.op,
        method: s.req.method ?? 'GET',
        path: s.req.url ?? '/',
        rawHeaders: s.req.rawHeaders,
        body: s.body,
        exchange,
        firstByteMs: deadline.ms,
        liveness: livenessAfterMs === undefined ? undefined : { afterMs: livenessAfterMs, check: () => this.checkLiveness(s, endpoint, key) },
        openingHoldMs: timeouts.openingHoldMs,
        idleMs: timeouts.idleMs,
        fresh,
        strippable: !s.stripped && s.pinned !== undefined && (s.pinned.endpointId !== endpoint.id || s.pinned.keyId !== key?.id) && s.traits.boundState?.() === true,
      },
      started,
    );
    const ms = Math.round(performance.now() - started);
    if (result.kind === 'failed') {
      if (this.cancelled.has(exchange)) result.cause = 'HEDGE_CANCELLED';
      if (s.abortReason) result.cause = s.abortReason.code;
      const timedOut = result.cause === 'UPSTREAM_TIMEOUT';
      if (timedOut) result.detail = `${result.detail} (deadline ${deadline.ms} ms: ${deadline.reason})`;
      const detail = this.deps.redactor.redact(result.detail);
      result.detail = detail;
      s.attempts.push({ endpoint: endpoint.name, key: key?.suffix ?? null, cause: result.cause, status: result.status, detail, ms, firstByteDeadlineMs: deadline.ms });
      // A reset on a pooled socket is judged after the fresh retry, so it is not counted here.
      const neutral = resetBeforeResponse(result) && !fresh;
      this.deps.health.end(endpoint.id, key?.id, neutral ? 'STALE_SOCKET' : result.cause, detail, undefined, { probe, configFault: result.configFault, conclusiveDeadline: deadline.conclusive, startedAt });
      if (timedOut && !deadline.conclusive) s.deadlineScale *= DEADLINE_MULTIPLIER;
    } else {
      const record: AttemptRecord = { endpoint: endpoint.name, key: key?.suffix ?? null, cause: result.cause, status: result.status, ms, firstByteDeadlineMs: deadline.ms };
      s.attempts.push(record);
      // Health for an answered attempt is recorded when the relay ends.
      s.answeredByProbe = probe;
      s.answeredStartedAt = startedAt;
      this.answeredMeta.set(result, { probe, startedAt, record });
    }
    return result;
  }

  /** A one-token stream on the same endpoint and key, bounded by the endpoint's own stream deadline. */
  private checkLiveness(s: RequestState, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined) {
    const peers = s.cluster?.endpointIds ?? [];
    const deadlineMs = this.deps.deadlines.forStream(endpoint.id, peers, s.traits.model, 0, s.snap.config.timeouts).ms;
    return this.deps.liveness.check({ endpoint, key, api: s.route.op.api, op: s.route.op, model: s.traits.model!, path: s.req.url ?? '/', rawHeaders: s.req.rawHeaders, deadlineMs });
  }

  private async relayAnswer(s: RequestState, endpoint: RuntimeEndpoint, key: RuntimeKey | undefined, answer: AttemptResult & { kind: 'answered' }): Promise<void> {
    const affinity = this.affinityOf(s, endpoint, key);
    const headers = this.switchyardHeaders(s, endpoint);
    if (affinity) headers['x-switchyard-affinity'] = affinity;
    const out = await relay(s.res, answer, {
      api: s.route.op.api,
      idleMs: s.snap.config.timeouts.idleMs,
      extraHeaders: headers,
      clientGone: () => s.abortReason?.code === 'CLIENT_ABORTED',
    });
    const cause = out.cause;
    // The answered attempt's own record: a cancelled hedge may have been recorded after it.
    const last = this.answeredMeta.get(answer)?.record ?? s.attempts[s.attempts.length - 1];
    last.cause = cause;
    const detail = out.detail ? this.deps.redactor.redact(out.detail) : undefined;
    if (detail) last.detail = detail;
    const generated = cause === 'OK' && generates(s.route.op);
    this.deps.health.end(endpoint.id, key?.id, cause, detail ?? outcome(cause).label, answer.ttfbMs, { probe: s.answeredByProbe, generated, startedAt: s.answeredStartedAt });
    // A stream that ended properly teaches its endpoint × model how long a first byte takes at this size.
    if (generated && s.traits.stream) this.deps.deadlines.observe(endpoint.id, s.traits.model, estimateTokens(s.body?.length ?? 0), answer.ttfbMs);
    // A key's failure reported inside the stream (a rate limit, no quota) rests that key for the next requests.
    if (key && outcome(cause).keyEffect) this.applyKeyEffect(s, key, cause, detail ?? outcome(cause).label, undefined);
    if (cause === 'OK') {
      // The conversation moves to where it was served: one more cache write there, then hits again.
      const target = { endpointId: endpoint.id, keyId: key?.id };
      if (affinity) this.deps.affinity.remember(s.traits.conversation!.key, target);
      if (out.responseId) this.deps.responses.remember(out.responseId, target);
    }
    let costUsd: number | undefined;
    if (out.usage) {
      costUsd = costOf(out.usage, priceOf(out.model ?? s.traits.model, [endpoint.prices, s.snap.config.prices]));
      this.deps.usage.record(endpoint.id, key?.id, out.usage, costUsd);
    }
    this.finish(s, answer.status, cause, answer.ttfbMs, out.bytesOut, endpoint, key, out.usage, { affinity, costUsd, model: out.model });
  }

  private switchyardHeaders(s: RequestState, endpoint: RuntimeEndpoint | undefined): Record<string, string> {
    return {
      'x-switchyard-endpoint': endpoint?.name ?? 'none',
      'x-switchyard-attempts': String(s.attempts.length),
      'x-switchyard-request-id': s.id,
    };
  }

  private respondError(s: RequestState, status: number, code: Cause, message: string, extra: Record<string, string>): void {
    const { res } = s;
    if (res.headersSent || res.destroyed) return;
    const body = s.route.op.api.errorBody(status, code, message, s.attempts);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...this.switchyardHeaders(s, s.lastEndpoint), ...extra });
    res.end(body);
  }

  private aborted(s: RequestState): void {
    const code = s.abortReason?.code ?? 'CLIENT_ABORTED';
    if (code === 'TOTAL_TIMEOUT') this.respondError(s, 504, code, 'the request exceeded timeouts.totalMs', {});
    this.finish(s, outcome(code).clientStatus as number, code, null, 0);
  }

  private allCooling(s: RequestState, cluster: RuntimeCluster, earliestUntil: number | undefined): void {
    const waitS = Math.max(1, Math.ceil(((earliestUntil ?? Date.now() + 1000) - Date.now()) / 1000));
    this.respondError(s, 429, 'KEYS_COOLING', `every key of cluster "${cluster.name}" is rate limited; the soonest is free again in ${waitS} s`, { 'retry-after': String(waitS) });
    this.finish(s, 429, 'KEYS_COOLING', null, 0);
  }

  private allKeysRejected(s: RequestState, cluster: RuntimeCluster, last: Failed | undefined, rejected: string[]): void {
    const status = last?.status === 403 ? 403 : 401;
    const keys = cluster.endpoints.flatMap((e) => e.keys.map((k) => `${e.name} ${k.suffix}`));
    const tried = rejected.length > 0 ? `rejected now: ${rejected.join(', ')}` : `already marked invalid: ${keys.join(', ')}`;
    const upstream = last?.detail ? ` Upstream said: ${last.detail}` : '';
    this.respondError(s, status, 'KEYS_INVALID', `no valid key is left in cluster "${cluster.name}" (${tried}).${upstream}`, {});
    this.finish(s, status, 'KEYS_INVALID', null, 0);
  }

  /** An upstream answer that belongs to the client (its own key, a request it may not make, one it may not repeat): passed through unchanged. */
  private passThroughFailure(s: RequestState, endpoint: RuntimeEndpoint, failed: Failed): void {
    const { res } = s;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.switchyardHeaders(s, endpoint) };
    for (const name of ['content-type', 'retry-after', 'retry-after-ms']) {
      const value = failed.headers?.[name];
      if (typeof value === 'string') headers[name] = value;
    }
    res.writeHead(failed.status ?? 502, headers);
    res.end(failed.bodyText ?? '');
    this.finish(s, failed.status ?? 502, failed.cause, null, 0, endpoint);
  }

  /** The proxy's own answer when no attempt succeeded: the status all attempts agree on (504 for timeouts, 529 overloaded), else 502. */
  private giveUp(s: RequestState, last: Failed | undefined, code: Cause | undefined, message: string): void {
    const statuses = new Set(s.attempts.filter((a) => a.cause !== 'STALE_SOCKET').map((a) => outcome(a.cause).clientStatus));
    const [only] = statuses;
    const status = statuses.size === 1 && typeof only === 'number' && only >= 500 ? only : 502;
    const finalCode = code ?? last?.cause ?? 'UPSTREAM_CONNECT';
    this.respondError(s, status, finalCode, message, {});
    this.finish(s, status, finalCode, null, 0);
  }

  private finish(s: RequestState, status: number, result: Cause, ttfbMs: number | null, bytesOut: number, endpoint?: RuntimeEndpoint, key?: RuntimeKey, usage?: Usage, extra: { affinity?: AffinityResult; costUsd?: number; model?: string } = {}): void {
    this.deps.record({
      id: s.id,
      time: isoTime(Date.now()),
      method: s.req.method ?? 'GET',
      path: s.route.pathname,
      cluster: s.cluster?.name ?? null,
      family: s.route.family,
      api: s.route.op.api.name,
      operation: s.route.op.name,
      model: extra.model ?? s.traits.model,
      stream: s.traits.stream,
      endpoint: endpoint?.name ?? s.lastEndpoint?.name ?? null,
      key: key?.suffix ?? null,
      status,
      outcome: result,
      attempts: s.attempts,
      ttfbMs,
      durationMs: Math.round(performance.now() - s.started),
      bytesIn: s.body?.length ?? 0,
      bytesOut,
      usage,
      costUsd: extra.costUsd,
      affinity: extra.affinity,
      conversation: s.traits.conversation?.signal,
      login: s.login,
    });
  }
}
