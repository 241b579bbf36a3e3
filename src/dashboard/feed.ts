// The messages between a dashboard page and its host (the VS Code extension or the headless proxy); types only, no DOM.

import type { HistoryRange, HistoryView } from '../core/history';
import type { RequestFilter } from './requestFilter';

export type { EndpointHistory, HistoryRange, HistoryView, KeyHistory, StateEvents } from '../core/history';
export type { RequestFilter } from './requestFilter';

/** `dashboard`: everything; `requests`: only the request table (Tail Logs). */
export type DashboardMode = 'dashboard' | 'requests';

/** Usage counters the stats are gaining per endpoint and per key. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd?: number | null;
}

export interface SnapshotError {
  cause: string;
  message: string;
  at: number;
}

export interface SnapshotKey {
  suffix: string;
  state: string;
  cooldownUntil?: number | null;
  lastError?: SnapshotError | null;
  usage?: UsageTotals;
}

export interface SnapshotEndpoint {
  name: string;
  baseUrl?: string;
  disabled?: boolean;
  state: string;
  inFlight?: number;
  successRate?: number;
  latencyMs?: number | null;
  nextProbeAt?: number | null;
  lastError?: SnapshotError | null;
  usage?: UsageTotals;
  keys: SnapshotKey[];
}

export interface SnapshotCluster {
  name: string;
  protocol?: string;
  active?: boolean;
  endpoints: SnapshotEndpoint[];
}

/**
 * The proxy's live state as the page reads it: what `ProxyStats` (src/core/stats.ts) has today, with
 * the fields it is gaining optional; `ProxyStats` is assignable to it.
 */
export interface DashboardSnapshot {
  activeCluster?: string;
  activeClusters?: { anthropic?: string; openai?: string };
  listening?: { host: string; port: number } | null;
  requests?: { total: number; inFlight: number; failed: number };
  clusters: SnapshotCluster[];
}

/** Token counts of one request; null = not reported. */
export interface RequestUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
}

/** One attempt of a request, as in `AttemptRecord` (src/core/log.ts). */
export interface DashboardAttempt {
  endpoint: string;
  key: string | null;
  cause: string;
  status: number | null;
  detail?: string;
  ms: number;
}

/**
 * A request-log record as the page reads it: the fields of `RequestRecord` (src/core/log.ts, which is
 * assignable to this; the hosts pass their records as they are, which checks it) and the optional ones
 * it is gaining. Written out here so the page's types do not pull in node-only modules.
 */
export interface DashboardRequest {
  id: string;
  time: string;
  method: string;
  path: string;
  /** Null when no cluster serves the request's family. */
  cluster: string | null;
  model?: string;
  stream: boolean;
  endpoint: string | null;
  key: string | null;
  status: number;
  outcome: string;
  attempts: DashboardAttempt[];
  ttfbMs: number | null;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  usage?: RequestUsage | null;
  costUsd?: number | null;
  affinity?: 'hit' | 'new' | 'moved';
  api?: string;
}

/** Host → page. */
export type HostMessage =
  | { type: 'snapshot'; snapshot: DashboardSnapshot }
  /** A full view (`TrafficHistory.view()`): replaces what the page holds for that range. */
  | { type: 'history'; range: HistoryRange; view: HistoryView }
  /** A delta (`TrafficHistory.latest()`), merged with `mergeHistory`. */
  | { type: 'historyDelta'; range: HistoryRange; delta: HistoryView }
  | { type: 'request'; record: DashboardRequest }
  /** A batch, oldest first; `replace` (the backlog on connect) replaces the page's rows. */
  | { type: 'requests'; records: DashboardRequest[]; replace?: boolean }
  /** Sets the request filter (Tail Logs opened with a filter). */
  | { type: 'filter'; filter: RequestFilter; text: string }
  /** A line above the table ('' to clear), e.g. that another window serves. */
  | { type: 'banner'; text: string };

/** Page → host. `ready` carries the state the page restored (VS Code's getState), if any. */
export type PageMessage =
  | { type: 'ready'; range?: HistoryRange; cluster?: string | null; filter?: RequestFilter; text?: string }
  | { type: 'range'; range: HistoryRange }
  | { type: 'cluster'; name: string }
  | { type: 'filter'; filter: RequestFilter; text: string };

/** Headless: the SSE stream's path; `range` and `cluster` go in its query (never the client key: that is a header). */
export const EVENTS_PATH = '/_switchyard/events';
export const DASHBOARD_PATH = '/_switchyard/dashboard';
/** The header that carries the optional client key. */
export const CLIENT_KEY_HEADER = 'x-switchyard-key';
