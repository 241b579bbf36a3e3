// Feeds the traffic history from what the core already emits: request-log records, health transitions, probes.

import { HealthTransition } from './health';
import { RecordedAttempt, RecordedUsage, TrafficHistory } from './history';
import { RequestRecord } from './log';
import { RuntimeSnapshot } from './runtime';
import { isCause, outcome } from './outcomes';

/** Whether a cause counts as a success on the dashboard: the upstream gave a usable answer (or the client left). */
export function historyOk(cause: string): boolean {
  return isCause(cause) ? !outcome(cause).failure : cause === 'OK';
}

/** The fields a request record is gaining (usage, cost); read when present, so older records work too. */
type RecordWithUsage = RequestRecord & { usage?: Partial<RecordedUsage> | null; costUsd?: number | null };

/** Maps the core's records and transitions to `TrafficHistory` calls; endpoint and key ids are resolved through the snapshot. */
export class HistoryRecorder {
  /** Endpoint and key ids whose starting state this process has recorded. */
  private readonly started = new Set<string>();

  constructor(private readonly history: TrafficHistory, private readonly snapshot: () => RuntimeSnapshot) {}

  /**
   * Records the starting state (healthy, ok) of each endpoint and key this process has not seen yet: at
   * start and after a config change, so the dashboard's bands begin when a target became known.
   */
  observeTargets(at: number = Date.now()): void {
    for (const c of this.snapshot().clusters) {
      for (const e of c.endpoints) {
        if (!this.started.has(e.id)) {
          this.started.add(e.id);
          this.history.recordState({ at, cluster: c.name, endpoint: e.name, state: 'healthy' });
        }
        for (const k of e.keys) {
          if (this.started.has(k.id)) continue;
          this.started.add(k.id);
          this.history.recordState({ at, cluster: c.name, endpoint: e.name, key: k.suffix, state: 'ok' });
        }
      }
    }
  }

  /** One finished request with its attempts (a stale pooled socket retried at once is not counted against anyone). */
  request(record: RequestRecord): void {
    const r = record as RecordWithUsage;
    const attempts: RecordedAttempt[] = [];
    for (const a of r.attempts) if (a.cause !== 'STALE_SOCKET') attempts.push({ endpoint: a.endpoint, key: a.key, ok: historyOk(a.cause) });
    const u = r.usage;
    this.history.recordRequest({
      at: Date.parse(r.time) || Date.now(),
      cluster: r.cluster ?? '',
      endpoint: r.endpoint,
      key: r.key,
      ok: historyOk(r.outcome),
      ttfbMs: r.ttfbMs,
      usage: u ? { inputTokens: u.inputTokens ?? null, outputTokens: u.outputTokens ?? null, cacheReadTokens: u.cacheReadTokens ?? null, cacheWriteTokens: u.cacheWriteTokens ?? null } : undefined,
      costUsd: typeof r.costUsd === 'number' ? r.costUsd : undefined,
      attempts,
    });
  }

  /** A health transition from `HealthStore.onTransition`. */
  transition(t: HealthTransition, at: number = Date.now()): void {
    if (t.kind === 'probe') {
      this.probe(t.endpointId, t.ok, t.ok ? undefined : t.cause, at);
      return;
    }
    for (const c of this.snapshot().clusters) {
      for (const e of c.endpoints) {
        if (t.kind === 'endpoint' && e.id === t.endpointId) {
          this.history.recordState({ at, cluster: c.name, endpoint: e.name, state: t.to, cause: t.lastError?.cause, until: t.to === 'open' ? t.ejectedUntil : undefined });
          return;
        }
        const k = t.kind === 'key' ? e.keys.find((key) => key.id === t.keyId) : undefined;
        if (t.kind === 'key' && k) {
          this.history.recordState({ at, cluster: c.name, endpoint: e.name, key: k.suffix, state: t.to, cause: t.lastError?.cause, until: t.until });
          return;
        }
      }
    }
  }

  /** A half-open probe of `endpointId` ended (ok, or with `cause`). */
  probe(endpointId: string, ok: boolean, cause?: string, at: number = Date.now()): void {
    for (const c of this.snapshot().clusters) {
      const e = c.endpoints.find((x) => x.id === endpointId);
      if (e) return this.history.recordProbe({ at, cluster: c.name, endpoint: e.name, ok, cause });
    }
  }
}
