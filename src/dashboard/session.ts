// The host's side of one open dashboard page, the same in the extension and headless: what to send when, throttled, nothing while paused.

import type { HistoryRange, HistoryView } from '../core/history';
import type { DashboardMode, DashboardRequest, DashboardSnapshot, HostMessage, PageMessage, RequestFilter } from './feed';
import { isRequestFilter } from './requestFilter';

/**
 * The history as the dashboard reads it: a `TrafficHistory` in this process answers at once, a window's
 * proxy process answers over its pipe (undefined when it has none to give).
 */
export interface HistorySource {
  view(range: HistoryRange, cluster?: string): HistoryView | Promise<HistoryView | undefined>;
  latest(range: HistoryRange, since: number, cluster?: string): HistoryView | Promise<HistoryView | undefined>;
}

/** Runs `use` with the value now when there is one, or when the promise settles (a failed read is undefined). */
function whenAnswered<T>(value: T | Promise<T | undefined>, use: (v: T | undefined) => void): void {
  if (value instanceof Promise) value.then(use, () => use(undefined));
  else use(value);
}

/** Where a dashboard's data comes from; the extension and the headless server each build one. */
export interface DashboardSource {
  /** The live state (`ProxyStats` fits); undefined while there is none. */
  snapshot(): DashboardSnapshot | undefined;
  /** Absent for a requests-only page (Tail Logs). */
  history?: HistorySource;
  /** The recent request records, oldest first. */
  recentRequests(): readonly DashboardRequest[];
  /** Called when the snapshot changed; returns the unsubscribe function. */
  onSnapshot(listener: () => void): () => void;
  /** Called with new request records; returns the unsubscribe function. */
  onRequests(listener: (records: readonly DashboardRequest[]) => void): () => void;
}

export interface SessionOptions {
  mode: DashboardMode;
  post(message: HostMessage): void;
  /** The page changed its request filter. */
  onFilter?(filter: RequestFilter, text: string): void;
  /** Fewest ms between two snapshots (default 250). */
  snapshotMs?: number;
  /** Requests arriving within this many ms go out as one message (default 150). */
  requestBatchMs?: number;
  /** How often the history's newest buckets are sent (default 2 s, 10 s for the 6 h range). */
  historyTickMs?: (range: HistoryRange) => number;
  /** Send no history (another VS Code window follows the state and the requests only). */
  withoutHistory?: boolean;
}

const defaultHistoryTick = (range: HistoryRange) => (range === '6h' ? 10_000 : 2_000);

/**
 * Starts with the page's `ready` (everything once: snapshot, full history, the request backlog), then
 * sends snapshots (throttled), request batches and history deltas. `pause()` stops all of it until the
 * next `ready` (VS Code: the panel was hidden, its page is gone); `dispose()` for good.
 */
export class DashboardSession {
  range: HistoryRange = '15m';
  /** The cluster the page picked; undefined follows the active one. */
  cluster: string | undefined;
  private live = false;
  private unsubscribe: (() => void)[] = [];
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  private lastSnapshotAt = 0;
  private batch: DashboardRequest[] = [];
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private historyTimer: ReturnType<typeof setInterval> | undefined;
  private lastBucket: number | undefined;
  /** Bumped by each restart, so an answer for an earlier range or cluster is dropped. */
  private historyGeneration = 0;
  private historyPending = false;
  private shownCluster: string | undefined;
  private filter: { filter: RequestFilter; text: string } | undefined;
  private banner = '';

  constructor(private readonly source: DashboardSource, private readonly options: SessionOptions) {}

  get isLive(): boolean {
    return this.live;
  }

  /** Handles a message from the page. */
  receive(m: PageMessage): void {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'ready':
        if (m.range === '15m' || m.range === '1h' || m.range === '6h') this.range = m.range;
        if (typeof m.cluster === 'string') this.cluster = m.cluster;
        this.start();
        return;
      case 'range':
        if (m.range !== '15m' && m.range !== '1h' && m.range !== '6h') return;
        this.range = m.range;
        this.restartHistory();
        return;
      case 'cluster':
        if (typeof m.name !== 'string') return;
        this.cluster = m.name;
        this.restartHistory();
        return;
      case 'filter':
        if (!isRequestFilter(m.filter) || typeof m.text !== 'string') return;
        this.filter = { filter: m.filter, text: m.text };
        this.options.onFilter?.(m.filter, m.text);
        return;
    }
  }

  /** Sets the page's filter from the host side (sent now if the page is there, else on its `ready`). */
  setFilter(filter: RequestFilter, text: string): void {
    this.filter = { filter, text };
    if (this.live) this.options.post({ type: 'filter', filter, text });
  }

  setBanner(text: string): void {
    this.banner = text;
    if (this.live) this.options.post({ type: 'banner', text });
  }

  /** Sends everything once, then live updates. */
  start(): void {
    this.stop();
    this.live = true;
    const post = this.options.post;
    if (this.options.mode === 'dashboard') this.sendSnapshot();
    post({ type: 'requests', records: [...this.source.recentRequests()], replace: true });
    if (this.filter) post({ type: 'filter', ...this.filter });
    if (this.banner) post({ type: 'banner', text: this.banner });
    this.unsubscribe.push(this.source.onRequests((records) => this.queueRequests(records)));
    if (this.options.mode === 'dashboard') {
      this.unsubscribe.push(this.source.onSnapshot(() => this.queueSnapshot()));
      this.restartHistory();
    }
  }

  /** Sends nothing more until the next `ready`. */
  pause(): void {
    this.stop();
  }

  dispose(): void {
    this.stop();
  }

  private stop(): void {
    this.live = false;
    for (const u of this.unsubscribe.splice(0)) u();
    clearTimeout(this.snapshotTimer);
    clearTimeout(this.batchTimer);
    clearInterval(this.historyTimer);
    this.snapshotTimer = this.batchTimer = this.historyTimer = undefined;
    this.batch = [];
  }

  private queueSnapshot(): void {
    if (this.snapshotTimer) return;
    const wait = Math.max(0, this.lastSnapshotAt + (this.options.snapshotMs ?? 250) - Date.now());
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      this.sendSnapshot();
    }, wait);
  }

  private sendSnapshot(): void {
    const snapshot = this.source.snapshot();
    this.lastSnapshotAt = Date.now();
    if (!snapshot) return;
    this.options.post({ type: 'snapshot', snapshot });
    // Following the active cluster: when it changes, the history follows too.
    if (this.cluster === undefined && this.historyTimer && activeOf(snapshot) !== this.shownCluster) this.restartHistory();
  }

  private queueRequests(records: readonly DashboardRequest[]): void {
    this.batch.push(...records);
    this.batchTimer ??= setTimeout(() => {
      this.batchTimer = undefined;
      const records = this.batch;
      this.batch = [];
      if (records.length > 0) this.options.post({ type: 'requests', records });
    }, this.options.requestBatchMs ?? 150);
  }

  /** A full view now, then deltas on the range's tick (one read at a time). */
  private restartHistory(): void {
    clearInterval(this.historyTimer);
    this.historyTimer = undefined;
    const generation = ++this.historyGeneration;
    this.historyPending = false;
    const history = this.source.history;
    if (!this.live || this.options.mode !== 'dashboard' || !history || this.options.withoutHistory) return;
    this.shownCluster = this.cluster ?? activeOf(this.source.snapshot());
    const range = this.range;
    const current = () => generation === this.historyGeneration && this.live;
    whenAnswered(history.view(range, this.shownCluster), (view) => {
      if (!current() || !view) return;
      this.lastBucket = view.times[view.times.length - 1];
      this.options.post({ type: 'history', range, view });
    });
    this.historyTimer = setInterval(() => {
      if (this.historyPending) return;
      this.historyPending = true;
      whenAnswered(history.latest(range, this.lastBucket ?? 0, this.shownCluster), (delta) => {
        if (!current()) return;
        this.historyPending = false;
        if (!delta) return;
        this.lastBucket = delta.times[delta.times.length - 1] ?? this.lastBucket;
        this.options.post(delta.kind === 'full' ? { type: 'history', range, view: delta } : { type: 'historyDelta', range, delta });
      });
    }, (this.options.historyTickMs ?? defaultHistoryTick)(range));
  }
}

function activeOf(s: DashboardSnapshot | undefined): string | undefined {
  return s?.activeCluster ?? s?.activeClusters?.anthropic ?? s?.activeClusters?.openai;
}
