// The core assembled: builds the proxy from a config, token source and logger; starts, reloads and stops it.

import * as fs from 'node:fs';
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { MemoryAffinityStore } from './affinity';
import { Balancer } from './balancer';
import { TrafficHistory } from './history';
import { HistoryRecorder } from './historyRecorder';
import { SnapshotFeed, Versioned } from './snapshotFeed';
import { SwitchyardConfig } from './config';
import { FirstByteDeadlines } from './firstByteDeadline';
import { HealthTransition, MemoryHealthStore } from './health';
import { LivenessProber, ProbeReport } from './liveness';
import { formatRequestLine, Logger, Redactor, redactingLogger, RequestRecord, silentLogger } from './log';
import { outcome } from './outcomes';
import { describeHolder, PortHolder, SwitchyardHealth, whoHoldsPort } from './portOwner';
import { Pipeline } from './proxy';
import { expandHome, RequestLogFile } from './requestLogFile';
import { RetryBudget } from './retryBudget';
import { buildSnapshot, endpointId, RuntimeSnapshot, KeySource } from './runtime';
import { createProxyServer } from './server';
import { clusterStats, ProxyStats } from './stats';
import { StateFile } from './stateFile';
import { Upstream, UpstreamOptions } from './upstream';
import { UsageLedger } from './usageLedger';

export const VERSION = '0.1.0';

export interface SwitchyardOptions {
  config: SwitchyardConfig;
  /** Keys kept outside the config (SecretStorage, a 0600 file). */
  keys?: KeySource;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Write the JSON request log to `config.log.file` (default true). */
  writeRequestLog?: boolean;
  /**
   * Where per-day usage totals survive restarts: a path, `false` for nowhere (tests), or by default
   * `config.usageFile`, else beside the request log, else ~/.switchyard/usage.json.
   */
  usageFile?: string | false;
  /** Where the traffic history (the dashboard's charts) survives restarts; `false` for nowhere; by default beside the usage file. */
  historyFile?: string | false;
  /** Fewest ms between two pushed snapshots (default 250). */
  snapshotThrottleMs?: number;
  /** More routes under /_switchyard/ (the dashboard): called with each such request after the guard; true when it answered. */
  routes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

/** How many finished requests are kept for a dashboard or Tail Logs that opens now. */
const RECENT_REQUESTS = 500;
/** The history is written at most this often (and on stop). */
const HISTORY_SAVE_MS = 60_000;
/** process.memoryUsage() walks the heap's spaces: sampled at most this often, not per snapshot. */
const MEMORY_SAMPLE_MS = 5_000;

/** How long the proxy remembers which key made a response (continuations go back to it). */
const RESPONSE_PINS = { ttlMs: 24 * 3_600_000, maxConversations: 20_000 };
/** Usage is written at most this often (and on stop), never on the request path. */
const USAGE_SAVE_MS = 5_000;

/** Thrown by start() when the port is taken; says by whom. */
export class PortInUseError extends Error {
  readonly code = 'PORT_IN_USE';
  constructor(readonly host: string, readonly port: number, readonly holder: PortHolder) {
    super(`cannot listen on ${host}:${port}: ${describeHolder(holder, port)}`);
    this.name = 'PortInUseError';
  }
}

export class Switchyard {
  readonly instanceId = randomBytes(6).toString('hex');
  readonly startedAt = Date.now();
  readonly health: MemoryHealthStore;
  readonly usage: UsageLedger;
  private readonly affinity: MemoryAffinityStore;
  private readonly responses: MemoryAffinityStore;
  private usageFile: StateFile | undefined;
  readonly deadlines = new FirstByteDeadlines();
  private readonly redactor = new Redactor();
  private readonly logger: Logger;
  private readonly balancer: Balancer;
  private readonly upstream: Upstream;
  private readonly budget: RetryBudget;
  private readonly pipeline: Pipeline;
  private readonly changeListeners = new Set<() => void>();
  private readonly requestListeners = new Set<(r: RequestRecord) => void>();
  /** The state everyone renders, pushed when it changes. */
  readonly snapshots: SnapshotFeed<ProxyStats>;
  /** Per-endpoint and per-key time buckets (the dashboard's charts), in fixed memory. */
  readonly history: TrafficHistory;
  private readonly recorder: HistoryRecorder;
  private historyFile: StateFile | undefined;
  private readonly recent: RequestRecord[] = [];
  private memory = { at: 0, rssBytes: 0, heapUsedBytes: 0 };
  private snap: RuntimeSnapshot;
  private server: http.Server | undefined;
  private listening: { host: string; port: number } | null = null;
  private requestLog: RequestLogFile | undefined;
  private seq = 0;
  private stopping: Promise<void> | undefined;
  private stopDeadline = Infinity;
  private totals = { total: 0, failed: 0 };
  /** Subscription logins seen, one entry per kind: said once in the log, shown in stats (the tree, diagnostics). */
  private readonly logins = new Map<string, { family: string; message: string; count: number; lastAt: number; cluster: string | null }>();

  constructor(private readonly options: SwitchyardOptions) {
    this.snap = buildSnapshot(options.config, 1, options.keys, options.env);
    this.redactor.addSecrets(this.snap.secrets);
    this.logger = redactingLogger(options.logger ?? silentLogger, this.redactor);
    this.health = new MemoryHealthStore(options.config.health);
    this.snapshots = new SnapshotFeed(() => this.buildStats(), options.snapshotThrottleMs);
    this.usage = new UsageLedger();
    this.openUsageFile(options.config);
    this.history = this.openHistory();
    this.recorder = new HistoryRecorder(this.history, () => this.snap);
    this.recorder.observeTargets();
    this.health.onChange(() => this.emitChange());
    this.health.onTransition((t) => {
      this.logTransition(t);
      this.recorder.transition(t);
    });
    this.balancer = new Balancer(this.health);
    this.upstream = new Upstream(this.upstreamOptions(options.config));
    this.budget = new RetryBudget(options.config.retry);
    this.affinity = new MemoryAffinityStore(options.config.affinity);
    this.responses = new MemoryAffinityStore(RESPONSE_PINS);
    this.pipeline = new Pipeline({
      health: this.health,
      balancer: this.balancer,
      upstream: this.upstream,
      budget: this.budget,
      redactor: this.redactor,
      affinity: this.affinity,
      responses: this.responses,
      usage: this.usage,
      deadlines: this.deadlines,
      liveness: new LivenessProber(this.upstream, (r) => this.logProbe(r)),
      record: (r) => this.onRecord(r),
      warn: (m) => this.logger.warn(m),
    });
    this.openRequestLog(options.config);
    this.history.retain(clusterStats(this.snap, this.health));
    this.recorder.observeTargets();
  }

  get config(): SwitchyardConfig {
    return this.snap.config;
  }

  get snapshot(): RuntimeSnapshot {
    return this.snap;
  }

  get address(): { host: string; port: number } | null {
    return this.listening;
  }

  /** Starts listening; `port` 0 picks a free one. Throws PortInUseError naming the holder. */
  async start(port: number = this.config.port, host: string = this.config.host): Promise<{ host: string; port: number; url: string }> {
    if (this.server) throw new Error('Switchyard is already started');
    const server = createProxyServer({
      snapshot: () => this.snap,
      boundHost: () => this.listening?.host ?? host,
      proxy: (id, snap, route, req, res, body) => this.pipeline.handle(id, snap, route, req, res, body),
      admin: (path) => this.admin(path),
      routes: this.options.routes,
      nextRequestId: () => `${this.instanceId.slice(0, 4)}-${(++this.seq).toString(36)}`,
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new PortInUseError(host, port, await whoHoldsPort(host, port));
      throw err;
    });
    server.on('error', (err) => this.logger.error(`[server] ${err.message}`));
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.listening = { host, port: addr.port };
    this.logger.info(`[server] listening on http://${host}:${addr.port} (${this.describeActive()})`);
    this.emitChange();
    return { host, port: addr.port, url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}` };
  }

  /**
   * Stops accepting, lets in-flight requests finish within the grace period, then cuts what is left.
   * Calling it again while stopping can only shorten the grace period.
   */
  stop(graceMs: number = this.config.timeouts.shutdownGraceMs): Promise<void> {
    const deadline = Date.now() + graceMs;
    this.stopDeadline = Math.min(this.stopDeadline, deadline);
    this.stopping ??= this.stopNow().finally(() => {
      this.stopping = undefined;
      this.stopDeadline = Infinity;
    });
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      while (this.budget.inFlight > 0 && Date.now() < this.stopDeadline) {
        await new Promise((r) => setTimeout(r, 25));
        server.closeIdleConnections();
      }
      server.closeAllConnections();
      await closed;
      this.logger.info('[server] stopped');
    }
    this.listening = null;
    await this.upstream.destroy();
    await this.requestLog?.close();
    this.usageFile?.stop();
    this.historyFile?.stop();
    await Promise.all([this.usageFile?.write(this.usage.toJSON()), this.historyFile?.write(this.history.toJSON())]);
    this.emitChange();
  }

  /** Swaps in a validated config; requests in flight keep the snapshot they started with. */
  applyConfig(config: SwitchyardConfig): void {
    const previous = this.snap.config;
    this.snap = buildSnapshot(config, this.snap.generation + 1, this.options.keys, this.options.env);
    this.redactor.addSecrets(this.snap.secrets);
    this.health.setConfig(config.health);
    this.deadlines.retain(new Set(this.snap.clusters.flatMap((c) => c.endpoints.map((e) => e.id))));
    this.budget.setConfig(config.retry);
    // Pins survive a reload for the targets that still exist.
    this.affinity.setLimits(config.affinity);
    const endpoints = new Set(this.snap.clusters.flatMap((c) => c.endpoints.map((e) => e.id)));
    this.affinity.retain(endpoints);
    this.responses.retain(endpoints);
    this.history.retain(clusterStats(this.snap, this.health));
    this.upstream.setOptions(this.upstreamOptions(config));
    if (previous.log.file !== config.log.file) {
      void this.requestLog?.close();
      this.openRequestLog(config);
    }
    this.logger.info(`[config] applied generation ${this.snap.generation}: ${this.describeActive()}`);
    this.emitChange();
  }

  /** Re-reads keys from the token source (after keys were added or removed). */
  refreshTokens(): void {
    this.applyConfig(this.snap.config);
  }

  /** Forgets an endpoint's failures, ejection and key cooldowns. */
  resetEndpoint(cluster: string, endpoint: string): void {
    this.health.reset(endpointId(cluster, endpoint));
  }

  /** `anthropic → "main" (3 endpoints), openai → "codex" (1 endpoint)`. */
  private describeActive(): string {
    const parts = Object.entries(this.snap.activeByFamily).map(([family, c]) => `${family} → "${c!.name}" (${c!.endpoints.length} endpoint${c!.endpoints.length === 1 ? '' : 's'})`);
    return parts.length > 0 ? `active: ${parts.join(', ')}` : 'no active cluster';
  }

  healthInfo(): SwitchyardHealth & { uptimeMs: number; activeCluster: string } {
    return {
      status: 'ok',
      service: 'switchyard',
      instanceId: this.instanceId,
      pid: process.pid,
      version: VERSION,
      port: this.listening?.port ?? 0,
      startedAt: this.startedAt,
      uptimeMs: Date.now() - this.startedAt,
      activeCluster: this.snap.active.name,
    };
  }

  /** The current snapshot (rebuilt only when something changed since the last one). */
  stats(): Versioned<ProxyStats> {
    return this.snapshots.current();
  }

  /** The finished requests still remembered, oldest first (for a view that opens now). */
  recentRequests(): readonly RequestRecord[] {
    return this.recent;
  }

  private sampledMemory(): { rssBytes: number; heapUsedBytes: number } {
    const now = Date.now();
    if (now - this.memory.at > MEMORY_SAMPLE_MS) {
      const m = process.memoryUsage();
      this.memory = { at: now, rssBytes: m.rss, heapUsedBytes: m.heapUsed };
    }
    return { rssBytes: this.memory.rssBytes, heapUsedBytes: this.memory.heapUsedBytes };
  }

  private buildStats(): ProxyStats {
    const clusters = clusterStats(this.snap, this.health, { usage: this.usage, pins: this.affinity.counts(), deadlines: this.deadlines });
    return {
      service: 'switchyard',
      instanceId: this.instanceId,
      pid: process.pid,
      version: VERSION,
      startedAt: this.startedAt,
      uptimeMs: Date.now() - this.startedAt,
      listening: this.listening,
      activeCluster: this.snap.active.name,
      activeClusters: Object.fromEntries(Object.entries(this.snap.activeByFamily).map(([f, c]) => [f, c!.name])),
      configGeneration: this.snap.generation,
      requests: { total: this.totals.total, failed: this.totals.failed, inFlight: this.budget.inFlight, retriesInFlight: this.budget.retriesInFlight },
      logins: this.logins.size > 0 ? [...this.logins.values()] : undefined,
      upstreamSockets: this.upstream.openSockets(),
      memory: this.sampledMemory(),
      endpoints: clusters.find((c) => c.active)!.endpoints,
      clusters,
    };
  }

  /** Called when health, config or listening state changes (not debounced). */
  onDidChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called with every finished request's log record. */
  onRequest(listener: (r: RequestRecord) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  private admin(path: string): { status: number; body: unknown } | undefined {
    if (path === '/_switchyard/health') return { status: 200, body: this.healthInfo() };
    if (path === '/_switchyard/stats') return { status: 200, body: this.stats() };
    return undefined;
  }

  /** One line per health change, so a headless user sees why traffic moved without reading every request. */
  private logTransition(t: HealthTransition): void {
    if (t.kind === 'probe') return;
    const why = t.lastError ? ` (${t.lastError.cause}: ${t.lastError.message})` : '';
    if (t.kind === 'endpoint') {
      const until = t.to === 'open' && t.ejectedUntil ? ` for ${Math.round((t.ejectedUntil - Date.now()) / 1000)} s` : '';
      const line = `[health] ${t.endpointId}: ${t.from} → ${t.to}${until}${t.to === 'healthy' ? '' : why}`;
      if (t.to === 'open' || t.to === 'unhealthy') this.logger.warn(line);
      else this.logger.info(line);
      return;
    }
    const key = this.snap.clusters.flatMap((c) => c.endpoints).flatMap((e) => e.keys.map((k) => ({ e, k }))).find(({ k }) => k.id === t.keyId);
    const name = key ? `${key.e.id} key ${key.k.suffix}` : 'a key';
    const until = t.until ? ` for ${Math.max(1, Math.round((t.until - Date.now()) / 1000))} s` : '';
    if (t.to === 'ok') this.logger.info(`[health] ${name}: ok again`);
    else this.logger.warn(`[health] ${name}: ${t.to}${until}${why}`);
  }

  /** A liveness probe's verdict: said when it finds an endpoint hung, kept to debug otherwise. */
  private logProbe(r: ProbeReport): void {
    const line = `[liveness] ${r.endpoint.id}: a one-token probe ${r.verdict === 'hung' ? 'got no answer' : `says ${r.verdict}`} (${r.detail}, ${r.ms} ms) while a non-streaming request waited`;
    if (r.verdict === 'hung') this.logger.warn(`${line}: the endpoint is treated as hung`);
    else this.logger.debug(line);
  }

  private onRecord(r: RequestRecord): void {
    this.totals.total++;
    const info = outcome(r.outcome);
    if (info.failure) this.totals.failed++;
    if (r.login) this.noteLogin(r);
    this.requestLog?.write(r);
    this.logger[info.level](formatRequestLine(r));
    this.recent.push(r);
    // One at a time from the front: V8 trims the array's start in place, where a splice moved all 500.
    if (this.recent.length > RECENT_REQUESTS) this.recent.shift();
    this.recorder.request(r);
    this.snapshots.invalidate();
    for (const l of this.requestListeners) l(r);
  }

  /** A subscription login expects its vendor's own backend: replacing it with a key changes who pays, a relay rejects it. */
  private noteLogin(r: RequestRecord): void {
    const kind = `${r.family}:${r.login}`;
    const seen = this.logins.get(kind);
    if (seen) {
      seen.count++;
      seen.lastAt = Date.now();
      return;
    }
    this.logins.set(kind, { family: r.family, message: r.login!, count: 1, lastAt: Date.now(), cluster: r.cluster });
    const keyed = r.key !== null ? `the proxy replaced it with the endpoint's key ${r.key}, so that key's account pays` : 'it was passed to the endpoint as is; a relay or a non-official endpoint will reject it';
    this.logger.warn(`[client] ${r.login}; ${keyed}. Use an API key in the client, or give the endpoint no keys and point it at the vendor's own API.`);
  }

  private upstreamOptions(config: SwitchyardConfig): UpstreamOptions {
    let ca: string | undefined;
    if (config.caFile) {
      try {
        ca = fs.readFileSync(expandHome(config.caFile), 'utf8');
      } catch (err) {
        this.logger.error(`[config] caFile ${config.caFile} cannot be read (${(err as NodeJS.ErrnoException).code}); using the system CAs only`);
      }
    }
    return { connectMs: config.timeouts.connectMs, proxy: config.upstreamProxy, ca };
  }

  private openUsageFile(config: SwitchyardConfig): void {
    if (this.options.usageFile === false) return;
    const file = this.options.usageFile ?? config.usageFile ?? (config.log.file ? path.join(path.dirname(expandHome(config.log.file)), 'usage.json') : '~/.switchyard/usage.json');
    this.usageFile = new StateFile(expandHome(file), (m) => this.logger.warn(`[usage] ${m}`));
    this.usage.restore(this.usageFile.read());
    this.usageFile.every(USAGE_SAVE_MS, () => this.usage.takeChanged(), () => this.usage.toJSON());
  }

  /** The history a previous run left (beside the usage file unless told otherwise), kept saving while requests come. */
  private openHistory(): TrafficHistory {
    const file = this.options.historyFile ?? (this.usageFile ? path.join(path.dirname(this.usageFile.file), 'history.json') : false);
    if (file === false) return new TrafficHistory();
    this.historyFile = new StateFile(expandHome(file), (m) => this.logger.warn(`[history] ${m}`));
    const saved = this.historyFile.read();
    const history = saved === undefined ? new TrafficHistory() : TrafficHistory.fromJSON(saved);
    let savedAt = 0;
    const changed = () => {
      const grew = this.totals.total !== savedAt;
      savedAt = this.totals.total;
      return grew;
    };
    this.historyFile.every(HISTORY_SAVE_MS, changed, () => history.toJSON());
    return history;
  }

  private openRequestLog(config: SwitchyardConfig): void {
    this.requestLog = undefined;
    if (this.options.writeRequestLog === false || !config.log.file) return;
    this.requestLog = new RequestLogFile(expandHome(config.log.file), config.log.maxBytes, config.log.keepFiles, (m) => this.logger.error(`[log] ${m}`));
  }

  private emitChange(): void {
    this.snapshots.invalidate();
    for (const l of this.changeListeners) l();
  }
}
