// Picks a target (endpoint × key) from the active cluster's health tiers; never "no endpoint" while one is configured.

import { EndpointHealthView, HealthStore } from './health';
import { RuntimeCluster, RuntimeEndpoint, RuntimeKey } from './runtime';

/** What the balancer knows of the request; room for sticky routing and model mapping later. */
export interface PickContext {
  cluster: RuntimeCluster;
  /** Endpoints this request already failed on; avoided while others remain. */
  avoidEndpoints: ReadonlySet<string>;
  /** Keys this request already used and may not reuse. */
  usedKeys: ReadonlySet<string>;
  /** Endpoints this request must not use again at all (e.g. the client's own key was rate limited there). */
  excludeEndpoints?: ReadonlySet<string>;
  model?: string;
  /** A conversation id for future cache-aware sticky routing. */
  affinityKey?: string;
}

export type Pick =
  | { kind: 'target'; endpoint: RuntimeEndpoint; key: RuntimeKey | undefined; tier: number }
  /** Endpoints exist but every key on them is cooling or invalid. */
  | { kind: 'no-key'; cooling: boolean; earliestUntil: number | undefined }
  | { kind: 'none' };

interface Candidate {
  endpoint: RuntimeEndpoint;
  health: EndpointHealthView;
  keys: RuntimeKey[];
}

const TIER_HEALTHY = 0;
const TIER_DEGRADED = 1;
const TIER_UNHEALTHY = 2;
const TIER_PANIC = 3;

function tierOf(h: EndpointHealthView): number {
  switch (h.state) {
    case 'healthy':
      return TIER_HEALTHY;
    case 'degraded':
      return TIER_DEGRADED;
    case 'unhealthy':
      return TIER_UNHEALTHY;
    case 'open':
      return h.probeReady ? TIER_UNHEALTHY : TIER_PANIC;
  }
}

export class Balancer {
  /** Smooth weighted round robin state, per endpoint id. */
  private readonly currentWeight = new Map<string, number>();
  /** Round-robin cursor over keys, per endpoint id. */
  private readonly keyCursor = new Map<string, number>();

  constructor(private readonly health: HealthStore) {}

  pick(ctx: PickContext): Pick {
    const enabled = ctx.cluster.endpoints.filter((e) => !e.disabled && !ctx.excludeEndpoints?.has(e.id));
    if (enabled.length === 0) return { kind: 'none' };
    const fresh = enabled.filter((e) => !ctx.avoidEndpoints.has(e.id));
    // Prefer endpoints this request has not failed on; fall back to all of them rather than fail.
    return this.pickFrom(fresh, ctx) ?? this.pickFrom(enabled, ctx) ?? this.noKeyReason(enabled);
  }

  private pickFrom(endpoints: RuntimeEndpoint[], ctx: PickContext): Pick | undefined {
    const tiers: Candidate[][] = [[], [], [], []];
    for (const endpoint of endpoints) {
      const keys = this.usableKeys(endpoint, ctx.usedKeys);
      if (endpoint.keys.length > 0 && keys.length === 0) continue;
      const health = this.health.endpoint(endpoint.id);
      tiers[tierOf(health)].push({ endpoint, health, keys });
    }
    // A circuit whose backoff has run out gets the next first attempt as its half-open probe, healthy
    // endpoints or not: otherwise it would stay out for good. A failed probe fails over like any attempt.
    const due = ctx.avoidEndpoints.size === 0 ? tiers[TIER_UNHEALTHY].filter((c) => c.health.state === 'open' && c.health.probeReady) : [];
    if (due.length > 0) {
      const chosen = this.soonestToRecover(due);
      return { kind: 'target', endpoint: chosen.endpoint, key: this.nextKey(chosen), tier: TIER_UNHEALTHY };
    }
    for (let tier = 0; tier < tiers.length; tier++) {
      const candidates = tiers[tier];
      if (candidates.length === 0) continue;
      const chosen = tier === TIER_PANIC ? this.soonestToRecover(candidates) : this.byStrategy(candidates, ctx.cluster.strategy);
      return { kind: 'target', endpoint: chosen.endpoint, key: this.nextKey(chosen), tier };
    }
    return undefined;
  }

  private usableKeys(endpoint: RuntimeEndpoint, used: ReadonlySet<string>): RuntimeKey[] {
    return endpoint.keys.filter((k) => !used.has(k.id) && this.health.key(k.id).state === 'ok');
  }

  private noKeyReason(endpoints: RuntimeEndpoint[]): Pick {
    let earliest: number | undefined;
    let cooling = false;
    for (const e of endpoints) {
      for (const k of e.keys) {
        const kh = this.health.key(k.id);
        if (kh.state === 'cooling') {
          cooling = true;
          if (kh.until !== undefined && (earliest === undefined || kh.until < earliest)) earliest = kh.until;
        }
      }
    }
    return { kind: 'no-key', cooling, earliestUntil: earliest };
  }

  private byStrategy(candidates: Candidate[], strategy: RuntimeCluster['strategy']): Candidate {
    if (candidates.length === 1) return candidates[0];
    if (strategy === 'priority') {
      const best = Math.min(...candidates.map((c) => c.endpoint.priority));
      return this.weightedRoundRobin(candidates.filter((c) => c.endpoint.priority === best));
    }
    if (strategy === 'latency') {
      // Unmeasured endpoints count as fastest so they get explored.
      const latency = (c: Candidate) => c.health.latencyMs ?? 0;
      const best = Math.min(...candidates.map(latency));
      return this.weightedRoundRobin(candidates.filter((c) => latency(c) <= best * 1.2 + 1));
    }
    return this.weightedRoundRobin(candidates);
  }

  /** nginx's smooth weighted round robin; weight-0 endpoints serve only when all in the tier are weight 0. */
  private weightedRoundRobin(candidates: Candidate[]): Candidate {
    if (candidates.length === 1) return candidates[0];
    const weighted = candidates.some((c) => c.endpoint.weight > 0) ? candidates.filter((c) => c.endpoint.weight > 0) : candidates;
    let total = 0;
    let best: Candidate | undefined;
    let bestWeight = -Infinity;
    for (const c of weighted) {
      const w = c.endpoint.weight > 0 ? c.endpoint.weight : 1;
      const cw = (this.currentWeight.get(c.endpoint.id) ?? 0) + w;
      this.currentWeight.set(c.endpoint.id, cw);
      total += w;
      if (cw > bestWeight) {
        bestWeight = cw;
        best = c;
      }
    }
    this.currentWeight.set(best!.endpoint.id, bestWeight - total);
    return best!;
  }

  private soonestToRecover(candidates: Candidate[]): Candidate {
    return candidates.reduce((a, b) => ((b.health.ejectedUntil ?? 0) < (a.health.ejectedUntil ?? 0) ? b : a));
  }

  private nextKey(c: Candidate): RuntimeKey | undefined {
    if (c.keys.length === 0) return undefined;
    const cursor = this.keyCursor.get(c.endpoint.id) ?? 0;
    this.keyCursor.set(c.endpoint.id, cursor + 1);
    return c.keys[cursor % c.keys.length];
  }
}
