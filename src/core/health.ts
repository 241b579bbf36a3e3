// Health of endpoints and keys: states, ejection with growing backoff, key cooldowns; behind an interface so it could be shared later.

import { Cause, outcome } from './outcomes';
import { HealthConfig } from './config';

export type EndpointState = 'healthy' | 'degraded' | 'unhealthy' | 'open';
export type KeyState = 'ok' | 'cooling' | 'invalid';

export interface LastError {
  cause: Cause;
  message: string;
  at: number;
}

/** What the balancer and the views need to know about one endpoint right now. */
export interface EndpointHealthView {
  state: EndpointState;
  /** For `open`: when the circuit may be probed again. */
  ejectedUntil?: number;
  /** For `open`: the circuit's backoff has run out and no probe is in flight. */
  probeReady: boolean;
  consecutiveFailures: number;
  ejections: number;
  requests: number;
  failures: number;
  inFlight: number;
  successRate: number;
  /** How many outcomes the success rate is over (the recent window's, or all since start or since a reset). */
  successOf: number;
  latencyMs: number | null;
  lastError?: LastError;
  /** When Probe Now (or an API caller) last forgot this endpoint's failures. */
  resetAt?: number;
}

export interface KeyHealthView {
  state: KeyState;
  until?: number;
  lastError?: LastError;
}

/** A change of state worth telling a person about (logs, notifications). */
export type HealthTransition =
  | { kind: 'endpoint'; endpointId: string; from: EndpointState; to: EndpointState; lastError?: LastError; ejectedUntil?: number }
  | { kind: 'key'; keyId: string; to: KeyState; until?: number; lastError?: LastError }
  /** An open circuit's half-open probe ended: it closed the circuit (`ok`) or kept it open. */
  | { kind: 'probe'; endpointId: string; ok: boolean; cause: Cause };

/** What the pipeline knows of an attempt beyond its cause. */
export interface EndOptions {
  /** A certificate problem: a configuration fault, ejected longer. */
  configFault?: boolean;
  /** The attempt was an open circuit's half-open probe. */
  probe?: boolean;
  /** The attempt's first-byte deadline was conclusive (learned or the configured limit): a timeout there is a stall. */
  conclusiveDeadline?: boolean;
  /** The attempt generated an answer (messages, chat, responses), which alone closes a circuit a stall opened. */
  generated?: boolean;
  /** When the attempt started (the store's clock): only an attempt started after a stall can disprove it. */
  startedAt?: number;
}

/** Health and cooldown state; the in-memory store implements it, a shared store could later. */
export interface HealthStore {
  endpoint(endpointId: string): EndpointHealthView;
  key(keyId: string): KeyHealthView;
  /** Marks an attempt as started; returns true when it is the half-open probe of an open circuit. */
  begin(endpointId: string): boolean;
  /** Records how an attempt ended. `ttfbMs` is time to first byte when there was one. */
  end(endpointId: string, keyId: string | undefined, cause: Cause, message: string, ttfbMs?: number, opts?: EndOptions): void;
  coolKey(keyId: string, until: number, cause: Cause, message: string): void;
  /** Takes a key out for `health.invalidKeyMs` (401/403, no quota). */
  invalidateKey(keyId: string, message: string, cause?: Cause): void;
  /** Takes back an invalidation that turned out to be about the request, not the key. */
  restoreKey(keyId: string): void;
  /** Forgets failures, ejection and key cooldowns of an endpoint (probe now / re-enable). */
  reset(endpointId: string): void;
  onChange(listener: () => void): () => void;
  /** Called when an endpoint changes state, or a key starts cooling or is marked invalid. */
  onTransition(listener: (t: HealthTransition) => void): () => void;
}

interface Outcome {
  at: number;
  ok: boolean;
}

interface EndpointRecord {
  consecutiveFailures: number;
  lastFailureAt: number;
  ejections: number;
  ejectedUntil?: number;
  probeInFlight: boolean;
  requests: number;
  failures: number;
  inFlight: number;
  latencyMs: number | null;
  recent: Outcome[];
  lastError?: LastError;
  resetAt?: number;
  /**
   * The circuit was opened by a stall: an answer that proves nothing about generation (a model list,
   * a 429, a stream that began before the stall) does not close it.
   */
  stallOpenedAt?: number;
}

interface KeyRecord {
  invalidUntil?: number;
  coolUntil?: number;
  lastError?: LastError;
}

const RECENT_LIMIT = 50;
const LATENCY_ALPHA = 0.3;

/** Health kept in this process's memory. */
export class MemoryHealthStore implements HealthStore {
  private readonly endpoints = new Map<string, EndpointRecord>();
  private readonly keys = new Map<string, KeyRecord>();
  private readonly listeners = new Set<() => void>();
  private readonly transitionListeners = new Set<(t: HealthTransition) => void>();

  constructor(private config: HealthConfig, private readonly now: () => number = Date.now, private readonly random: () => number = Math.random) {}

  setConfig(config: HealthConfig): void {
    this.config = config;
  }

  endpoint(endpointId: string): EndpointHealthView {
    const r = this.record(endpointId);
    const now = this.now();
    this.forgetOldStreak(r, now);
    // Counted in place: this runs for every candidate of every pick.
    let recentTotal = 0;
    let recentFailures = 0;
    for (let i = r.recent.length - 1; i >= 0 && now - r.recent[i].at <= this.config.recoverMs; i--) {
      recentTotal++;
      if (!r.recent[i].ok) recentFailures++;
    }
    const successRate = recentTotal > 0 ? 1 - recentFailures / recentTotal : r.requests > 0 ? 1 - r.failures / r.requests : 1;
    let state: EndpointState;
    if (r.ejectedUntil !== undefined) state = 'open';
    else if (r.consecutiveFailures >= this.config.unhealthyAfter) state = 'unhealthy';
    else if (r.consecutiveFailures > 0 || (recentTotal > 0 && recentFailures / recentTotal >= 0.1) || this.isSlow(r)) state = 'degraded';
    else state = 'healthy';
    return {
      state,
      ejectedUntil: r.ejectedUntil,
      probeReady: r.ejectedUntil !== undefined && now >= r.ejectedUntil && !r.probeInFlight,
      consecutiveFailures: r.consecutiveFailures,
      ejections: r.ejections,
      requests: r.requests,
      failures: r.failures,
      inFlight: r.inFlight,
      successRate,
      successOf: recentTotal > 0 ? recentTotal : r.requests,
      latencyMs: r.latencyMs,
      lastError: r.lastError,
      resetAt: r.resetAt,
    };
  }

  key(keyId: string): KeyHealthView {
    const r = this.keys.get(keyId);
    if (!r) return { state: 'ok' };
    const now = this.now();
    if (r.invalidUntil !== undefined && now < r.invalidUntil) return { state: 'invalid', until: r.invalidUntil, lastError: r.lastError };
    if (r.coolUntil !== undefined && now < r.coolUntil) return { state: 'cooling', until: r.coolUntil, lastError: r.lastError };
    return { state: 'ok', lastError: r.lastError };
  }

  begin(endpointId: string): boolean {
    const r = this.record(endpointId);
    r.inFlight++;
    let probe = false;
    if (r.ejectedUntil !== undefined && this.now() >= r.ejectedUntil && !r.probeInFlight) {
      r.probeInFlight = true;
      probe = true;
    }
    this.emit();
    return probe;
  }

  end(endpointId: string, keyId: string | undefined, cause: Cause, message: string, ttfbMs?: number, opts: EndOptions = {}): void {
    const r = this.record(endpointId);
    const now = this.now();
    r.inFlight = Math.max(0, r.inFlight - 1);
    if (opts.probe) r.probeInFlight = false;
    const info = outcome(cause);
    if (opts.probe && info.scope !== 'none') this.emitTransition({ kind: 'probe', endpointId, ok: !(info.scope === 'endpoint' && info.failure), cause });
    if (info.scope === 'none') {
      // Neither a success nor a failure of the endpoint (the client left, a stale socket, a path it lacks).
      this.emit();
      return;
    }
    r.requests++;
    const before = this.transitionListeners.size > 0 ? this.endpoint(endpointId).state : undefined;
    if (info.scope === 'endpoint' && info.failure) {
      this.recordFailure(r, now, cause, message, opts.configFault === true, info.stall === true && opts.conclusiveDeadline === true);
    } else {
      // Rate limits and bad keys belong to the key, refusals to the client; the endpoint answered, so it is alive.
      r.consecutiveFailures = 0;
      if (this.disprovesStall(r, opts)) {
        r.ejectedUntil = undefined;
        r.stallOpenedAt = undefined;
      }
      this.pushRecent(r, { at: now, ok: true });
      if (ttfbMs !== undefined && cause === 'OK') {
        r.latencyMs = r.latencyMs === null ? ttfbMs : r.latencyMs + LATENCY_ALPHA * (ttfbMs - r.latencyMs);
      }
      if (keyId && cause === 'OK') {
        const k = this.keys.get(keyId);
        if (k && k.invalidUntil === undefined && (k.coolUntil ?? 0) <= now) k.lastError = undefined;
      }
    }
    if (before !== undefined) {
      const after = this.endpoint(endpointId);
      if (after.state !== before) this.emitTransition({ kind: 'endpoint', endpointId, from: before, to: after.state, lastError: r.lastError, ejectedUntil: r.ejectedUntil });
    }
    this.emit();
  }

  coolKey(keyId: string, until: number, cause: Cause, message: string): void {
    const r = this.keyRecord(keyId);
    r.coolUntil = Math.max(r.coolUntil ?? 0, until);
    r.lastError = { cause, message, at: this.now() };
    this.emitTransition({ kind: 'key', keyId, to: 'cooling', until: r.coolUntil, lastError: r.lastError });
    this.emit();
  }

  invalidateKey(keyId: string, message: string, cause: Cause = 'KEY_INVALID'): void {
    const r = this.keyRecord(keyId);
    const now = this.now();
    r.invalidUntil = now + this.config.invalidKeyMs;
    r.lastError = { cause, message, at: now };
    this.emitTransition({ kind: 'key', keyId, to: 'invalid', until: r.invalidUntil, lastError: r.lastError });
    this.emit();
  }

  restoreKey(keyId: string): void {
    const r = this.keys.get(keyId);
    if (!r) return;
    r.invalidUntil = undefined;
    r.lastError = undefined;
    this.emit();
  }

  reset(endpointId: string): void {
    const before = this.endpoint(endpointId).state;
    const keysBefore = [...this.keys.keys()].filter((id) => id.startsWith(`${endpointId}#`));
    const keysOut = keysBefore.filter((id) => this.key(id).state !== 'ok');
    const r = this.record(endpointId);
    r.consecutiveFailures = 0;
    r.ejectedUntil = undefined;
    r.ejections = 0;
    r.recent = [];
    r.lastError = undefined;
    // Forgotten means forgotten: the counts start again, so "12 requests, 12 failed" does not outlive the probe that cleared it.
    r.requests = 0;
    r.failures = 0;
    r.resetAt = this.now();
    r.stallOpenedAt = undefined;
    for (const id of keysBefore) this.keys.delete(id);
    // Told like any change of state, so the log and the dashboard's bands show the endpoint back too.
    if (before !== 'healthy') this.emitTransition({ kind: 'endpoint', endpointId, from: before, to: 'healthy' });
    for (const keyId of keysOut) this.emitTransition({ kind: 'key', keyId, to: 'ok' });
    this.emit();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onTransition(listener: (t: HealthTransition) => void): () => void {
    this.transitionListeners.add(listener);
    return () => this.transitionListeners.delete(listener);
  }

  private emitTransition(t: HealthTransition): void {
    for (const l of this.transitionListeners) l(t);
  }

  private recordFailure(r: EndpointRecord, now: number, cause: Cause, message: string, configFault: boolean, stall: boolean): void {
    this.forgetOldStreak(r, now);
    r.failures++;
    r.consecutiveFailures++;
    r.lastFailureAt = now;
    r.lastError = { cause, message, at: now };
    this.pushRecent(r, { at: now, ok: false });
    const wasOpen = r.ejectedUntil !== undefined;
    const opens = wasOpen ? now >= r.ejectedUntil! : stall || r.consecutiveFailures >= this.config.ejectAfter;
    if (configFault) {
      r.ejections++;
      r.ejectedUntil = now + this.config.tlsEjectionMs;
    } else if (opens) {
      // A failed half-open probe re-opens with a longer backoff; a streak reaching the threshold opens, and so does one stall:
      // left merely degraded, a hung endpoint would cost the next request that reaches it a whole deadline again.
      r.ejections++;
      const base = Math.min(this.config.ejectionBaseMs * r.ejections, this.config.ejectionMaxMs);
      r.ejectedUntil = now + Math.round(base * (0.9 + 0.2 * this.random()));
    }
    // Requests already waiting on it time out on their own deadlines; they neither fail early nor extend the backoff.
    if (stall && r.ejectedUntil !== undefined && (opens || r.stallOpenedAt === undefined)) r.stallOpenedAt = now;
  }

  /** Whether a success closes the circuit: any does, unless a stall opened it and this answer proves nothing about generation now. */
  private disprovesStall(r: EndpointRecord, opts: EndOptions): boolean {
    if (r.stallOpenedAt === undefined) return true;
    return opts.generated === true && opts.startedAt !== undefined && opts.startedAt >= r.stallOpenedAt;
  }

  private forgetOldStreak(r: EndpointRecord, now: number): void {
    if (r.consecutiveFailures > 0 && r.ejectedUntil === undefined && now - r.lastFailureAt > this.config.recoverMs) {
      r.consecutiveFailures = 0;
      if (now - r.lastFailureAt > 2 * this.config.recoverMs) r.ejections = 0;
    }
  }

  private isSlow(r: EndpointRecord): boolean {
    return this.config.slowMs > 0 && r.latencyMs !== null && r.latencyMs > this.config.slowMs;
  }

  private pushRecent(r: EndpointRecord, o: Outcome): void {
    r.recent.push(o);
    if (r.recent.length > RECENT_LIMIT) r.recent.shift();
  }

  private record(endpointId: string): EndpointRecord {
    let r = this.endpoints.get(endpointId);
    if (!r) {
      r = { consecutiveFailures: 0, lastFailureAt: 0, ejections: 0, probeInFlight: false, requests: 0, failures: 0, inFlight: 0, latencyMs: null, recent: [] };
      this.endpoints.set(endpointId, r);
    }
    return r;
  }

  private keyRecord(keyId: string): KeyRecord {
    let r = this.keys.get(keyId);
    if (!r) {
      r = {};
      this.keys.set(keyId, r);
    }
    return r;
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}
