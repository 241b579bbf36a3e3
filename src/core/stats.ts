// Builds the key-free stats snapshot served at /_switchyard/stats and read by the VS Code views.

import type { Cause } from './outcomes';
import type { DeadlineBasis, FirstByteDeadlines } from './firstByteDeadline';
import { EndpointState, HealthStore, KeyState } from './health';
import { Protocol, Strategy } from './config';
import { RuntimeSnapshot } from './runtime';
import { emptyTotals, UsageLedger, UsageTotals } from './usageLedger';

export interface KeyStats {
  suffix: string;
  state: KeyState;
  cooldownUntil: number | null;
  lastError: { cause: Cause; message: string; at: number } | null;
  /** Tokens and cost since the proxy started, and today (local day, across restarts). */
  usage: UsageTotals;
  today: UsageTotals;
  /** Conversations pinned to this key. */
  conversations: number;
}

export interface EndpointStats {
  cluster: string;
  name: string;
  baseUrl: string;
  disabled: boolean;
  state: EndpointState;
  requests: number;
  failures: number;
  inFlight: number;
  successRate: number;
  /** How many outcomes `successRate` is over. */
  successOf: number;
  latencyMs: number | null;
  consecutiveFailures: number;
  /** When its failures were last forgotten (Probe Now); null when never. */
  resetAt: number | null;
  /** For an open circuit: when the next probe may go out. */
  nextProbeAt: number | null;
  /** The first-byte deadline a stream to it gets now (its latest model at its usual size); absent from older peers. */
  firstByteDeadlineMs?: number;
  /** Whether that deadline is learned from its own streams, the default for no history, or the configured limit. */
  firstByteDeadlineBasis?: DeadlineBasis;
  lastError: { cause: Cause; message: string; at: number } | null;
  /** Keys only as suffixes. An empty list means the client's own auth is passed through. */
  keys: KeyStats[];
  usage: UsageTotals;
  today: UsageTotals;
  /** Conversations pinned to this endpoint (any of its keys). */
  conversations: number;
}

export interface ClusterStats {
  name: string;
  protocol: Protocol;
  strategy: Strategy;
  active: boolean;
  endpoints: EndpointStats[];
}

export interface ProxyStats {
  service: 'switchyard';
  instanceId: string;
  pid: number;
  version: string;
  startedAt: number;
  uptimeMs: number;
  listening: { host: string; port: number } | null;
  activeCluster: string;
  /** The active cluster of each protocol family that has one. */
  activeClusters: Partial<Record<Protocol, string>>;
  configGeneration: number;
  requests: { total: number; inFlight: number; retriesInFlight: number; failed: number };
  /** Clients seen signing in with a subscription (ChatGPT, Claude) instead of an API key. */
  logins?: { family: string; message: string; count: number; lastAt: number; cluster: string | null }[];
  upstreamSockets: number;
  memory: { rssBytes: number; heapUsedBytes: number };
  /** Endpoints of the active cluster (the contract's flat list). */
  endpoints: EndpointStats[];
  clusters: ClusterStats[];
}

/** What stats read besides health: usage and conversation pins (absent for a proxy that is not running). */
export interface StatsSources {
  usage?: UsageLedger;
  pins?: { endpoints: Map<string, number>; keys: Map<string, number> };
  /** Learned first-byte deadlines, for the deadline in force per endpoint. */
  deadlines?: FirstByteDeadlines;
}

/** Stats of every cluster's endpoints from the health store; never includes a key. */
export function clusterStats(snapshot: RuntimeSnapshot, health: HealthStore, sources: StatsSources = {}): ClusterStats[] {
  const none = emptyTotals();
  return snapshot.clusters.map((c) => ({
    name: c.name,
    protocol: c.protocol,
    strategy: c.strategy,
    active: snapshot.activeByFamily[c.protocol]?.name === c.name,
    endpoints: c.endpoints.map((e): EndpointStats => {
      const h = health.endpoint(e.id);
      const deadline = sources.deadlines?.inForce(e.id, c.endpoints.map((p) => p.id), snapshot.config.timeouts);
      return {
        cluster: c.name,
        name: e.name,
        baseUrl: e.baseUrl,
        disabled: e.disabled,
        state: h.state,
        requests: h.requests,
        failures: h.failures,
        inFlight: h.inFlight,
        successRate: h.successRate,
        successOf: h.successOf,
        resetAt: h.resetAt ?? null,
        latencyMs: h.latencyMs === null ? null : Math.round(h.latencyMs),
        consecutiveFailures: h.consecutiveFailures,
        nextProbeAt: h.state === 'open' ? (h.ejectedUntil ?? null) : null,
        ...(deadline ? { firstByteDeadlineMs: deadline.ms, firstByteDeadlineBasis: deadline.basis } : {}),
        lastError: h.lastError ?? null,
        keys: e.keys.map((k) => {
          const kh = health.key(k.id);
          return {
            suffix: k.suffix,
            state: kh.state,
            cooldownUntil: kh.until ?? null,
            lastError: kh.lastError ?? null,
            usage: sources.usage?.key(k.id) ?? none,
            today: sources.usage?.todayKey(k.id) ?? none,
            conversations: sources.pins?.keys.get(k.id) ?? 0,
          };
        }),
        usage: sources.usage?.endpoint(e.id) ?? none,
        today: sources.usage?.today(e.id) ?? none,
        conversations: sources.pins?.endpoints.get(e.id) ?? 0,
      };
    }),
  }));
}
