// Which target (endpoint × key) each conversation is pinned to, so its turns keep hitting one prompt cache: bounded, expiring, behind an interface.

/** A target as the map holds it: ids only, never a key. */
export interface PinnedTarget {
  endpointId: string;
  /** Undefined for an endpoint without keys (the client's own key is passed through). */
  keyId: string | undefined;
}

export type AffinityResult = 'hit' | 'new' | 'moved';

/** Pins conversations to targets; in memory here, a shared store could implement it later (team mode). */
export interface AffinityStore {
  get(conversation: string): PinnedTarget | undefined;
  /** The conversation was served by `target`: pin it there (again), refreshing its lifetime. */
  remember(conversation: string, target: PinnedTarget): void;
  /** Drops pins whose endpoint is gone (after a config reload). */
  retain(endpointIds: ReadonlySet<string>): void;
  /** Pinned conversations per endpoint and per key, for stats. */
  counts(): { endpoints: Map<string, number>; keys: Map<string, number> };
  readonly size: number;
}

export interface AffinityLimits {
  /** How long a pin lives after the conversation's last turn; providers' caches live minutes. */
  ttlMs: number;
  maxConversations: number;
}

interface Entry extends PinnedTarget {
  expiresAt: number;
}

/**
 * A Map in least-recently-used order: each remember() moves the conversation to the end, so the
 * oldest (and soonest to expire, since the lifetime is the same for all) are evicted first.
 */
/** Expired pins are swept this often (in remembers); between sweeps get() drops them as it meets them. */
const SWEEP_EVERY = 4096;

export class MemoryAffinityStore implements AffinityStore {
  private readonly entries = new Map<string, Entry>();
  private untilSweep = SWEEP_EVERY;

  constructor(private limits: AffinityLimits, private readonly now: () => number = Date.now) {}

  setLimits(limits: AffinityLimits): void {
    this.limits = limits;
    this.evict();
  }

  get size(): number {
    return this.entries.size;
  }

  get(conversation: string): PinnedTarget | undefined {
    const e = this.entries.get(conversation);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(conversation);
      return undefined;
    }
    return e;
  }

  remember(conversation: string, target: PinnedTarget): void {
    const expiresAt = this.now() + this.limits.ttlMs;
    const e = this.entries.get(conversation);
    if (e && this.entries.size > 1) this.entries.delete(conversation);
    this.entries.set(conversation, e ? Object.assign(e, target, { expiresAt }) : { endpointId: target.endpointId, keyId: target.keyId, expiresAt });
    // Walking from the oldest entry skips the holes deletes leave, so it runs only when there is something to drop.
    if (this.entries.size > this.limits.maxConversations || --this.untilSweep <= 0) this.evict();
  }

  retain(endpointIds: ReadonlySet<string>): void {
    for (const [k, e] of this.entries) if (!endpointIds.has(e.endpointId)) this.entries.delete(k);
  }

  counts(): { endpoints: Map<string, number>; keys: Map<string, number> } {
    const endpoints = new Map<string, number>();
    const keys = new Map<string, number>();
    const now = this.now();
    for (const e of this.entries.values()) {
      if (e.expiresAt <= now) continue;
      endpoints.set(e.endpointId, (endpoints.get(e.endpointId) ?? 0) + 1);
      if (e.keyId) keys.set(e.keyId, (keys.get(e.keyId) ?? 0) + 1);
    }
    return { endpoints, keys };
  }

  private evict(): void {
    this.untilSweep = SWEEP_EVERY;
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.limits.maxConversations && e.expiresAt > now) break;
      this.entries.delete(k);
    }
  }
}
