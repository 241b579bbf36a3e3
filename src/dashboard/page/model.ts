// What the dashboard draws from: the latest snapshot, the history view of the shown cluster, and which cluster that is.

import type { DashboardSnapshot, HistoryView, SnapshotCluster } from '../feed';

export interface DashboardModel {
  snapshot: DashboardSnapshot | undefined;
  history: HistoryView | undefined;
  /** The cluster picked by a click; null follows the active one. */
  picked: string | null;
}

/** The active cluster by the snapshot (either protocol family's, the anthropic one first). */
export function activeCluster(s: DashboardSnapshot | undefined): string | undefined {
  if (!s) return undefined;
  return s.activeCluster ?? s.activeClusters?.anthropic ?? s.activeClusters?.openai ?? s.clusters.find((c) => c.active)?.name;
}

export function isActive(s: DashboardSnapshot | undefined, name: string): boolean {
  if (!s) return false;
  return s.activeCluster === name || s.activeClusters?.anthropic === name || s.activeClusters?.openai === name || s.clusters.some((c) => c.name === name && c.active === true);
}

export function shownClusterName(m: DashboardModel): string | null {
  return m.picked ?? activeCluster(m.snapshot) ?? m.history?.cluster ?? m.snapshot?.clusters[0]?.name ?? null;
}

export function shownCluster(m: DashboardModel): SnapshotCluster | undefined {
  const name = shownClusterName(m);
  return m.snapshot?.clusters.find((c) => c.name === name);
}

/** The history view, if it is of the shown cluster. */
export function shownHistory(m: DashboardModel): HistoryView | undefined {
  const name = shownClusterName(m);
  return m.history && (m.history.cluster === name || name === null) ? m.history : undefined;
}

/** Buckets in the trailing minute the rates and shares are taken over (1 for 1 min buckets). */
export function windowOf(bucketMs: number): number {
  return Math.max(1, Math.round(60_000 / bucketMs));
}

/**
 * Per-minute rate at each bucket over the trailing minute, so a few requests per 10 s bucket do not
 * make a comb. The current bucket counts only for the part of it that has passed (`now`).
 */
export function perMinute(values: number[], times: number[], bucketMs: number, now: number): number[] {
  const k = windowOf(bucketMs);
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= k) sum -= values[i - k];
    const buckets = Math.min(k, i + 1);
    const last = i === values.length - 1 ? Math.min(bucketMs, Math.max(1000, now - times[i])) : bucketMs;
    out.push((sum * 60_000) / ((buckets - 1) * bucketMs + last));
  }
  return out;
}

/** Success share in percent over the trailing minute at each bucket; null where there was no request in it. */
export function successShare(requests: number[], failures: number[], bucketMs: number): (number | null)[] {
  const k = windowOf(bucketMs);
  const out: (number | null)[] = [];
  let n = 0;
  let failed = 0;
  for (let i = 0; i < requests.length; i++) {
    n += requests[i];
    failed += failures[i];
    if (i >= k) {
      n -= requests[i - k];
      failed -= failures[i - k];
    }
    out.push(n > 0 ? (100 * (n - failed)) / n : null);
  }
  return out;
}
