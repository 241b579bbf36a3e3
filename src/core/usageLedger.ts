// Tokens and cost per endpoint and per key: since the proxy started, and per local day (kept across restarts).

import type { Usage } from './protocols/types';

/** Totals in the stats' shape; input counts exclude cache reads and writes, as Anthropic counts them. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Present once a request had a price; the sum of the priced requests only. */
  costUsd?: number;
  /** Requests whose usage the upstream did not (fully) report, e.g. a broken stream: their missing figures are unknown, not 0. */
  unreported?: number;
  /** Requests with usage but no price for their model. */
  unpriced?: number;
}

export function emptyTotals(): UsageTotals {
  return { requests: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

function add(t: UsageTotals, u: Usage, costUsd: number | undefined): void {
  t.requests++;
  t.inputTokens += u.inputTokens ?? 0;
  t.outputTokens += u.outputTokens ?? 0;
  t.cacheReadTokens += u.cacheReadTokens ?? 0;
  t.cacheWriteTokens += u.cacheWriteTokens ?? 0;
  if (u.inputTokens === null || u.outputTokens === null || u.cacheReadTokens === null || u.cacheWriteTokens === null) t.unreported = (t.unreported ?? 0) + 1;
  if (costUsd !== undefined) t.costUsd = (t.costUsd ?? 0) + costUsd;
  else t.unpriced = (t.unpriced ?? 0) + 1;
}

function merge(into: UsageTotals, t: UsageTotals): void {
  into.requests += t.requests;
  into.inputTokens += t.inputTokens;
  into.outputTokens += t.outputTokens;
  into.cacheReadTokens += t.cacheReadTokens;
  into.cacheWriteTokens += t.cacheWriteTokens;
  if (t.costUsd !== undefined) into.costUsd = (into.costUsd ?? 0) + t.costUsd;
  if (t.unreported) into.unreported = (into.unreported ?? 0) + t.unreported;
  if (t.unpriced) into.unpriced = (into.unpriced ?? 0) + t.unpriced;
}

/** Several totals added up (a cluster's endpoints). */
export function sumTotals(all: readonly UsageTotals[]): UsageTotals {
  const out = emptyTotals();
  for (const t of all) merge(out, t);
  return out;
}

/** The share of prompt tokens that were cache reads: cacheRead ÷ (input + cacheRead + cacheWrite); null with no prompt tokens. */
export function cacheHitShare(t: UsageTotals): number | null {
  const prompt = t.inputTokens + t.cacheReadTokens + t.cacheWriteTokens;
  return prompt > 0 ? t.cacheReadTokens / prompt : null;
}

/** The local calendar day of a time, `YYYY-MM-DD`. */
export function localDay(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

interface DayTotals {
  endpoints: Map<string, UsageTotals>;
  keys: Map<string, UsageTotals>;
}

/** What the usage file holds: per day, per endpoint id and key id (ids never contain a key). */
export interface PersistedUsage {
  version: 1;
  days: Record<string, { endpoints: Record<string, UsageTotals>; keys: Record<string, UsageTotals> }>;
}

const DAYS_KEPT = 31;

export class UsageLedger {
  private readonly sinceStart: DayTotals = { endpoints: new Map(), keys: new Map() };
  private readonly days = new Map<string, DayTotals>();
  private changed = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** One request's usage on an endpoint (and key). */
  record(endpointId: string, keyId: string | undefined, usage: Usage, costUsd: number | undefined): void {
    const day = this.day(localDay(this.now()));
    for (const totals of [this.sinceStart, day]) {
      add(getOrCreate(totals.endpoints, endpointId), usage, costUsd);
      if (keyId) add(getOrCreate(totals.keys, keyId), usage, costUsd);
    }
    this.changed = true;
  }

  /** Since the proxy started. */
  endpoint(endpointId: string): UsageTotals {
    return this.sinceStart.endpoints.get(endpointId) ?? emptyTotals();
  }

  key(keyId: string): UsageTotals {
    return this.sinceStart.keys.get(keyId) ?? emptyTotals();
  }

  /** Today (local day), including earlier runs of the proxy today. */
  today(endpointId: string): UsageTotals {
    return this.days.get(localDay(this.now()))?.endpoints.get(endpointId) ?? emptyTotals();
  }

  todayKey(keyId: string): UsageTotals {
    return this.days.get(localDay(this.now()))?.keys.get(keyId) ?? emptyTotals();
  }

  /** Whether anything was recorded since the last takeChanged() (so a writer saves only when needed). */
  takeChanged(): boolean {
    const c = this.changed;
    this.changed = false;
    return c;
  }

  toJSON(): PersistedUsage {
    const days: PersistedUsage['days'] = {};
    for (const [day, t] of this.days) days[day] = { endpoints: Object.fromEntries(t.endpoints), keys: Object.fromEntries(t.keys) };
    return { version: 1, days };
  }

  /** Takes back the per-day totals a previous run saved; garbage is ignored rather than fatal. */
  restore(data: unknown): void {
    const days = (data as Partial<PersistedUsage> | undefined)?.days;
    if ((data as { version?: unknown })?.version !== 1 || !days || typeof days !== 'object') return;
    for (const [day, t] of Object.entries(days)) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !t || typeof t !== 'object') continue;
      const into = this.day(day);
      for (const [kind, map] of [['endpoints', into.endpoints], ['keys', into.keys]] as const) {
        for (const [id, totals] of Object.entries((t as Record<string, unknown>)[kind] ?? {})) if (isTotals(totals)) merge(getOrCreate(map, id), totals);
      }
    }
    this.prune();
  }

  private day(day: string): DayTotals {
    let t = this.days.get(day);
    if (!t) {
      t = { endpoints: new Map(), keys: new Map() };
      this.days.set(day, t);
      this.prune();
    }
    return t;
  }

  private prune(): void {
    const sorted = [...this.days.keys()].sort();
    for (const day of sorted.slice(0, Math.max(0, sorted.length - DAYS_KEPT))) this.days.delete(day);
  }
}

function getOrCreate(map: Map<string, UsageTotals>, id: string): UsageTotals {
  let t = map.get(id);
  if (!t) {
    t = emptyTotals();
    map.set(id, t);
  }
  return t;
}

function isTotals(v: unknown): v is UsageTotals {
  const t = v as Record<string, unknown>;
  return !!t && ['requests', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'].every((k) => typeof t[k] === 'number' && Number.isFinite(t[k] as number) && (t[k] as number) >= 0);
}
