// Owns this window's part of the proxy: runs it in a process of its own, or follows the window that serves and takes over when it goes away.

import * as vscode from 'vscode';
import { fetchHealth, fetchStats, peerStats, subscribeEvents, EventsSubscription } from '../core/adminClient';
import type { SwitchyardConfig } from '../core/config';
import { MemoryHealthStore } from '../core/health';
import type { HistoryRange, HistoryView } from '../core/history';
import type { Logger, LogLevel, RequestRecord } from '../core/log';
import type { PortHolder } from '../core/portOwner';
import { portAcceptsConnections } from '../core/ports';
import { buildSnapshot } from '../core/runtime';
import { clusterStats, ProxyStats } from '../core/stats';
import type { DiagnosticReport, DiagnosticsInput } from '../diagnostics/types';
import type { KeySet } from '../proxyProcess/messages';
import { describeExit, ProxyExit, ProxyProcess } from '../proxyProcess/parent';
import { Disposable, toDisposable } from './dispose';
import type { RequestLogBuffer } from './log';
import type { SecretKeyStore } from './secretKeys';
import type { KeysInSettings, SettingsResult } from './settingsModel';
import type { StopMarker } from './stopMarker';

/**
 * - `unconfigured`: no cluster in the settings yet.
 * - `invalid`: the settings are wrong and there is no earlier good config.
 * - `stopped`: stopped by the user (here or in another window) or autoStart is off.
 * - `starting`: the proxy process is being started (or restarted after a crash).
 * - `serving`: this window's proxy process owns the port.
 * - `remote`: another window's Switchyard owns it; its state and requests are followed here.
 * - `foreign`: some other program holds the port.
 * - `failed`: listening failed for another reason (e.g. EACCES), or the proxy process keeps crashing.
 */
export type ProxyMode = 'unconfigured' | 'invalid' | 'stopped' | 'starting' | 'serving' | 'remote' | 'foreign' | 'failed';

/** The part of the stats the views need; live views carry the whole ProxyStats. */
export type ViewStats = Pick<ProxyStats, 'activeCluster' | 'clusters' | 'endpoints' | 'requests'> & Partial<ProxyStats>;

/** A proxy process that ended without being asked to, and what happens next. */
export interface CrashReport {
  message: string;
  at: number;
  /** When the next start is due (absent once it runs again). */
  restartAt?: number;
}

/** What the views render: one consistent picture of the proxy as seen from this window. */
export interface ProxyView {
  readonly mode: ProxyMode;
  readonly host: string;
  readonly port: number;
  /** Where clients reach the proxy, when one is running (here or in another window). */
  readonly url: string | undefined;
  /** Live stats when a proxy runs; otherwise the configured clusters with no traffic. */
  readonly stats: ViewStats | undefined;
  readonly live: boolean;
  /** The instance that serves: this window's proxy process, or another window's. */
  readonly owner?: { pid: number; instanceId: string; version: string };
  readonly holder?: PortHolder;
  /** Why the proxy is not running, or which setting is being ignored. */
  readonly problem?: string;
  readonly stoppedElsewhere?: boolean;
  /** The last crash of this window's proxy process, kept a minute after it runs again. */
  readonly crash?: CrashReport;
}

/** The UI side effects the service asks for (messages with actions). */
export interface ProxyNotifier {
  portHeldByForeignProcess(holder: PortHolder, host: string, port: number, message: string): void;
  settingsInvalid(message: string, setting: string): void;
  settingsHoldKeys(found: KeysInSettings[]): void;
  listenFailed(message: string): void;
  proxyCrashed(message: string): void;
}

export interface ProxyServiceOptions {
  keys: SecretKeyStore;
  logger: Logger;
  logLevel(): LogLevel;
  requests: RequestLogBuffer;
  stopMarker: StopMarker;
  notifier: ProxyNotifier;
  readSettings(): SettingsResult;
  autoStart(): boolean;
  /** True while someone looks (view visible, window focused): poll another window faster. */
  wantsFastUpdates(): boolean;
  /** The CLI bundle, which also runs as the proxy process. */
  cliPath: string;
  /** Where per-day usage totals and the traffic history are kept across restarts (the extension's global storage). */
  usageFile?: string;
  historyFile?: string;
  /** Throttle for onDidChange; snapshots come a few times a second. */
  changeThrottleMs?: number;
  fastPollMs?: number;
  slowPollMs?: number;
}

/** Default grace for in-flight requests when the extension deactivates (the host waits only a few seconds). */
export const DEACTIVATE_GRACE_MS = 3000;
/** How long an old listener may drain after a port or host change (deactivate cuts it shorter). */
const RELISTEN_DRAIN_MS = 60 * 60_000;
/** Restart after a crash: 1 s, 2 s, 4 s … at most 30 s; a run longer than a minute starts the count again. */
const CRASH_BACKOFF_MS = 1000;
const CRASH_BACKOFF_MAX_MS = 30_000;
const STABLE_RUN_MS = 60_000;
/** A crash stays in the view this long after the proxy runs again. */
const CRASH_SHOWN_MS = 60_000;

type ProxyState =
  | { mode: 'unconfigured' }
  | { mode: 'invalid' }
  | { mode: 'stopped'; elsewhere: boolean }
  | { mode: 'starting'; proxy?: ProxyProcess }
  | { mode: 'serving'; proxy: ProxyProcess; url: string; owner: { pid: number; instanceId: string; version: string }; snapshot: ProxyStats | undefined; since: number }
  | { mode: 'remote'; owner?: { pid: number; instanceId: string; version: string }; snapshot?: ProxyStats; feed?: EventsSubscription }
  | { mode: 'foreign'; holder: PortHolder }
  | { mode: 'failed'; problem: string };

function sameListen(a: SwitchyardConfig | undefined, b: SwitchyardConfig): boolean {
  return a !== undefined && a.port === b.port && a.host === b.host;
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export class ProxyService extends Disposable {
  private config: SwitchyardConfig | undefined;
  private state: ProxyState = { mode: 'unconfigured' };
  private settingsProblem: string | undefined;
  private userStopped = false;
  private crash: CrashReport | undefined;
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private offline: { config: SwitchyardConfig; tokensVersion: number; stats: ViewStats } | undefined;
  private tokensVersion = 0;
  private ops: Promise<unknown> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  /** Old proxy processes still finishing their requests after a port or host change. */
  private readonly draining = new Set<ProxyProcess>();
  private shuttingDown = false;
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** Fires (throttled) when anything the views show may have changed. */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidChangeMode = this._register(new vscode.EventEmitter<ProxyMode>());
  /** Fires at once when the mode changes (serving, remote, stopped, ...). */
  readonly onDidChangeMode = this._onDidChangeMode.event;

  constructor(private readonly o: ProxyServiceOptions) {
    super();
    this._register(o.keys.onDidChange(() => this.background(async () => this.onTokensChanged())));
    this._register(
      toDisposable(() => {
        this.stopPolling();
        if (this.changeTimer) clearTimeout(this.changeTimer);
        if (this.restartTimer) clearTimeout(this.restartTimer);
        this.closeFeed();
      }),
    );
  }

  /** Reads the settings and keys, then starts when autoStart is on. Not awaited by activate(). */
  initialize(): Promise<void> {
    return this.serial(() => this.applySettings(true));
  }

  /** Re-reads the settings (on a change event or after a command wrote them). */
  reload(): Promise<void> {
    return this.serial(() => this.applySettings(false));
  }

  /** Start at the user's request (clears a stop made in any window). */
  start(): Promise<void> {
    this.userStopped = false;
    return this.serial(async () => {
      await this.o.stopMarker.clear().then(undefined, () => undefined);
      if (this.state.mode !== 'serving' && this.state.mode !== 'remote') await this.startNow();
    });
  }

  /** Stop at the user's request: other windows will not take the port over either. */
  stop(graceMs?: number): Promise<void> {
    this.userStopped = true;
    return this.serial(async () => {
      if (this.state.mode === 'serving' && this.config) await this.o.stopMarker.set(this.config.port).then(undefined, () => undefined);
      await this.stopNow(graceMs);
    });
  }

  restart(): Promise<void> {
    this.userStopped = false;
    return this.serial(async () => {
      await this.o.stopMarker.clear().then(undefined, () => undefined);
      await this.stopNow();
      await this.startNow();
    });
  }

  /** Stops for good (deactivate): in-flight requests get `graceMs`; another window may take over. */
  shutdown(graceMs = DEACTIVATE_GRACE_MS): Promise<void> {
    this.shuttingDown = true;
    this.stopPolling();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    return this.serial(async () => {
      const grace = Math.min(graceMs, this.config?.timeouts.shutdownGraceMs ?? graceMs);
      // Old listeners drained without a limit so far; now they get the same grace as the live one.
      await Promise.all([this.stopNow(grace), ...[...this.draining].map((old) => old.stop(grace))]);
    });
  }

  /** Forgets an endpoint's failures (only possible in the window that serves). */
  resetEndpoint(cluster: string, endpoint: string): boolean {
    if (this.state.mode !== 'serving') return false;
    this.state.proxy.resetEndpoint(cluster, endpoint);
    return true;
  }

  /** Reads another window's Switchyard now (the Refresh command). */
  refresh(): Promise<void> {
    return this.serial(async () => {
      if (this.state.mode === 'remote' || this.state.mode === 'foreign' || (this.state.mode === 'stopped' && this.state.elsewhere)) await this.pollOnce();
      this.changed(true);
    });
  }

  /** Waits for every queued operation to finish (tests, commands that wrote settings). */
  settled(): Promise<void> {
    return this.serial(async () => undefined);
  }

  get currentConfig(): SwitchyardConfig | undefined {
    return this.config;
  }

  /** `switchyard.logLevel` changed: the proxy process logs at the new level from now on. */
  setLogLevel(level: LogLevel): void {
    if (this.state.mode === 'serving') this.state.proxy.setLogLevel(level);
  }

  /** The traffic history of the proxy this window runs (undefined when another window serves). */
  async history(range: HistoryRange, cluster?: string, since?: number): Promise<HistoryView | undefined> {
    return this.state.mode === 'serving' ? this.state.proxy.history(range, cluster, since).catch(() => undefined) : undefined;
  }

  /**
   * Runs every diagnostic check where the keys are: in this window's proxy process when it serves,
   * otherwise in a proxy process started only for that (it does not listen).
   */
  async diagnose(input: Omit<DiagnosticsInput, 'config' | 'tokens' | 'switchyard'>): Promise<DiagnosticReport> {
    const config = this.config;
    if (!config) throw new Error('there is no valid configuration to diagnose');
    if (this.state.mode === 'serving') return this.state.proxy.diagnose(config, this.keysFor(config), input);
    const probe = new ProxyProcess(this.o.cliPath, { snapshot: () => undefined, requests: () => undefined, log: (level, m) => this.o.logger[level](m), exit: () => undefined });
    try {
      return await probe.diagnose(config, this.keysFor(config), input);
    } finally {
      void probe.stop(0);
    }
  }

  view(): ProxyView {
    const config = this.config;
    const host = config?.host ?? '127.0.0.1';
    const problem = this.settingsProblem;
    const crash = this.crash && (this.crash.restartAt !== undefined || Date.now() - this.crash.at < CRASH_SHOWN_MS) ? this.crash : undefined;
    const s = this.state;
    switch (s.mode) {
      case 'serving': {
        const port = Number(new URL(s.url).port) || config?.port || 0;
        const owner = s.snapshot ? { pid: s.snapshot.pid, instanceId: s.snapshot.instanceId, version: s.snapshot.version } : s.owner;
        return { mode: 'serving', host, port, url: s.url, stats: s.snapshot ?? this.offlineStats(), live: s.snapshot !== undefined, owner, problem, crash };
      }
      case 'remote': {
        const port = config?.port ?? 0;
        return { mode: 'remote', host, port, url: urlOf(host, port), stats: s.snapshot ?? this.offlineStats(), live: s.snapshot !== undefined, owner: s.owner, problem };
      }
      default: {
        const port = config?.port ?? 0;
        return {
          mode: s.mode,
          host,
          port,
          url: undefined,
          stats: this.offlineStats(),
          live: false,
          holder: s.mode === 'foreign' ? s.holder : undefined,
          problem: s.mode === 'failed' ? s.problem : problem,
          stoppedElsewhere: s.mode === 'stopped' ? s.elsewhere : undefined,
          crash,
        };
      }
    }
  }

  // ---- settings and keys ----

  private async applySettings(initial: boolean): Promise<void> {
    if (this.shuttingDown) return;
    const result = this.o.readSettings();
    if (result.kind === 'unconfigured') {
      this.settingsProblem = undefined;
      this.config = undefined;
      await this.stopNow();
      return;
    }
    if (result.kind === 'invalid') {
      this.settingsProblem = result.message;
      this.o.logger.error(`[config] ${result.message}${this.config ? ' — keeping the last good configuration' : ''}`);
      this.o.notifier.settingsInvalid(result.message, result.setting);
      if (!this.config) this.enter({ mode: 'invalid' });
      else this.changed(true);
      return;
    }
    this.settingsProblem = undefined;
    if (result.keysInSettings.length > 0) this.o.notifier.settingsHoldKeys(result.keysInSettings);
    const previous = this.config;
    if (!initial && previous && JSON.stringify(previous) === JSON.stringify(result.config)) {
      // A command already applied this change; the settings event brings nothing new.
      this.changed(true);
      return;
    }
    await this.o.keys.load(result.config);
    const config = result.config;
    this.config = config;
    const listenChanged = !sameListen(previous, config);
    const s = this.state;
    switch (s.mode) {
      case 'serving':
        if (listenChanged) await this.relisten();
        else s.proxy.applyConfig(config, this.keysFor(config));
        break;
      case 'remote':
      case 'foreign':
        if (listenChanged) {
          this.closeFeed();
          await this.startNow();
        }
        break;
      case 'stopped':
        if (listenChanged && s.elsewhere && this.o.autoStart() && !this.userStopped) await this.startNow();
        else if (listenChanged && s.elsewhere) this.enter({ mode: 'stopped', elsewhere: false });
        break;
      case 'failed':
        if (listenChanged && this.o.autoStart() && !this.userStopped) await this.startNow();
        break;
      case 'unconfigured':
      case 'invalid':
        if (this.o.autoStart() && (initial || !this.userStopped)) await this.startNow();
        else this.enter({ mode: 'stopped', elsewhere: false });
        break;
      case 'starting':
        break;
    }
    this.changed(true);
  }

  private onTokensChanged(): void {
    this.tokensVersion++;
    // The token store is already updated; the proxy process gets the keys over its pipe.
    if (this.state.mode === 'serving' && this.config) this.state.proxy.applyConfig(this.config, this.keysFor(this.config));
    this.changed(true);
  }

  /** Every endpoint's keys, for the proxy process's pipe (the only place they leave this process). */
  private keysFor(config: SwitchyardConfig): KeySet {
    const keys: Record<string, readonly string[]> = {};
    for (const c of config.clusters) for (const e of c.endpoints) keys[`${c.name}/${e.name}`] = this.o.keys.keysFor(c.name, e.name);
    return keys;
  }

  private offlineStats(): ViewStats | undefined {
    const config = this.config;
    if (!config) return undefined;
    if (this.offline && this.offline.config === config && this.offline.tokensVersion === this.tokensVersion) return this.offline.stats;
    const snap = buildSnapshot(config, 0, this.o.keys, {});
    const clusters = clusterStats(snap, new MemoryHealthStore(config.health));
    const stats: ViewStats = {
      listening: null,
      activeCluster: config.activeCluster,
      activeClusters: Object.fromEntries(Object.entries(snap.activeByFamily).map(([f, c]) => [f, c!.name])),
      requests: { total: 0, inFlight: 0, retriesInFlight: 0, failed: 0 },
      endpoints: clusters.find((c) => c.name === config.activeCluster)?.endpoints ?? [],
      clusters,
    };
    this.offline = { config, tokensVersion: this.tokensVersion, stats };
    return stats;
  }

  // ---- this window's proxy process ----

  private async startNow(retries = 1): Promise<void> {
    const config = this.config;
    if (!config || this.shuttingDown) return;
    if (this.state.mode === 'serving' || this.state.mode === 'starting') return;
    this.stopPolling();
    this.closeFeed();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    // The first snapshot comes before the answer to `start`: kept until this process serves.
    let early: ProxyStats | undefined;
    const proxy: ProxyProcess = new ProxyProcess(this.o.cliPath, {
      snapshot: (snapshot) => {
        const now = this.current();
        if (now.mode === 'serving' && now.proxy === proxy) {
          now.snapshot = snapshot;
          this.changed();
        } else if (now.mode === 'starting' && now.proxy === proxy) {
          early = snapshot;
        }
      },
      requests: (records) => this.o.requests.push(...records),
      log: (level, message) => this.o.logger[level](message),
      exit: (e) => this.onProxyExit(proxy, e),
    });
    this.enter({ mode: 'starting', proxy });
    const result = await proxy
      .start({ config, keys: this.keysFor(config), usageFile: this.o.usageFile, historyFile: this.o.historyFile, logLevel: this.o.logLevel() })
      .catch((err: Error) => ({ ok: false as const, error: `the proxy process did not start: ${err.message}`, code: undefined, holder: undefined }));
    // It may have died meanwhile: the exit handler has taken over then.
    const now = this.current();
    if (now.mode !== 'starting' || now.proxy !== proxy) return;
    if (result.ok) {
      if (this.crash) this.crash = { message: this.crash.message, at: this.crash.at };
      // Serving again ends any earlier "stopped by the user", or a stale marker would block later takeovers.
      void this.o.stopMarker.clear().then(undefined, () => undefined);
      this.enter({ mode: 'serving', proxy, url: result.url, owner: { pid: result.pid, instanceId: result.instanceId, version: '' }, snapshot: early, since: Date.now() });
      return;
    }
    void proxy.stop(0);
    if (result.code === 'PORT_IN_USE' && result.holder) {
      const holder = result.holder;
      if (holder.kind === 'switchyard') {
        this.o.logger.info(`[window] port ${config.port} is served by the Switchyard in another window (pid ${holder.health.pid}); showing its state here`);
        this.follow({ pid: holder.health.pid, instanceId: holder.health.instanceId, version: holder.health.version });
        return;
      }
      if (holder.kind === 'free' && retries > 0) {
        // The holder went away between listen() and the check: try once more.
        this.enter({ mode: 'stopped', elsewhere: false });
        await new Promise((r) => setTimeout(r, 200));
        return this.startNow(retries - 1);
      }
      this.o.logger.warn(`[server] ${result.error}`);
      this.enter({ mode: 'foreign', holder });
      this.o.notifier.portHeldByForeignProcess(holder, config.host, config.port, result.error);
      this.schedulePoll();
      return;
    }
    const problem = `cannot listen on ${config.host}:${config.port}: ${result.error}`;
    this.o.logger.error(`[server] ${problem}`);
    this.enter({ mode: 'failed', problem });
    this.o.notifier.listenFailed(problem);
  }

  /** A proxy process ended. Asked to: nothing to do. Not asked to: say so, and start it again after a backoff. */
  private onProxyExit(proxy: ProxyProcess, e: ProxyExit): void {
    this.draining.delete(proxy);
    const s = this.state;
    const mine = (s.mode === 'serving' || s.mode === 'starting') && s.proxy === proxy;
    if (!mine || e.stopped || this.shuttingDown) return;
    const ranFor = s.mode === 'serving' ? Date.now() - s.since : 0;
    this.crashes = ranFor > STABLE_RUN_MS ? 1 : this.crashes + 1;
    const delay = Math.min(CRASH_BACKOFF_MAX_MS, CRASH_BACKOFF_MS * 2 ** (this.crashes - 1));
    const why = describeExit(e);
    const message = `The proxy process stopped unexpectedly (${why}); clients of it saw their connections cut. Starting it again in ${Math.round(delay / 1000)} s.`;
    this.crash = { message, at: Date.now(), restartAt: Date.now() + delay };
    this.o.logger.error(`[proxy] ${message}${e.stderr.trim() ? ` Its last words: ${e.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    this.o.notifier.proxyCrashed(message);
    this.enter({ mode: 'failed', problem: message });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.background(async () => {
        if (this.state.mode === 'failed' && !this.userStopped) await this.startNow();
      });
    }, delay);
  }

  private async stopNow(graceMs?: number): Promise<void> {
    this.stopPolling();
    this.closeFeed();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const s = this.state;
    this.enter(this.config ? { mode: 'stopped', elsewhere: false } : { mode: 'unconfigured' });
    if ((s.mode === 'serving' || s.mode === 'starting') && s.proxy) await s.proxy.stop(graceMs ?? this.config?.timeouts.shutdownGraceMs ?? DEACTIVATE_GRACE_MS);
  }

  /** The port or host changed while serving: the old process drains in the background and a new one listens. */
  private async relisten(): Promise<void> {
    const s = this.state;
    if (s.mode !== 'serving') return;
    const old = s.proxy;
    // A port change must not cut a long stream: the old process drains for as long as it takes.
    this.draining.add(old);
    void old.stop(RELISTEN_DRAIN_MS).then(() => this.draining.delete(old));
    this.enter({ mode: 'stopped', elsewhere: false });
    await this.startNow();
  }

  // ---- following another window ----

  /** Shows another window's proxy live over its event feed; when the feed ends, the owner is gone or is an older Switchyard. */
  private follow(owner?: { pid: number; instanceId: string; version: string }): void {
    const config = this.config!;
    this.closeFeed();
    const state: Extract<ProxyState, { mode: 'remote' }> = { mode: 'remote', owner };
    state.feed = subscribeEvents(
      config.host,
      config.port,
      {
        message: (m) => {
          if (this.state !== state) return;
          if (m.type === 'snapshot') {
            const snapshot = peerStats(m.snapshot);
            state.snapshot = snapshot;
            state.owner = { pid: snapshot.pid, instanceId: snapshot.instanceId, version: snapshot.version };
            this.changed();
          } else if (m.type === 'requests') {
            const records = m.records as RequestRecord[];
            if (m.replace) this.o.requests.replace(records);
            else this.o.requests.push(...records);
          }
        },
        end: (reason) => {
          if (this.state !== state) return;
          state.feed = undefined;
          // An older Switchyard has no feed: read its stats on a timer instead. Otherwise the owner is gone: take over now.
          if (reason.status === 404) this.schedulePoll();
          else this.background(() => this.pollOnce());
        },
      },
      config.clientKey,
    );
    this.enter(state);
  }

  private closeFeed(): void {
    if (this.state.mode === 'remote') {
      this.state.feed?.close();
      this.state.feed = undefined;
    }
  }

  private pollInterval(): number {
    if (this.state.mode === 'foreign' || this.state.mode === 'stopped') return this.o.slowPollMs ?? 5000;
    return this.o.wantsFastUpdates() ? (this.o.fastPollMs ?? 2000) : (this.o.slowPollMs ?? 4000);
  }

  private schedulePoll(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.shuttingDown) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.background(() => this.pollOnce());
    }, this.pollInterval());
  }

  private stopPolling(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** Looks at the port again: the owner still there (follow it), gone (take over unless the user stopped it), a foreign holder gone (start). */
  private async pollOnce(): Promise<void> {
    const config = this.config;
    if (!config || this.shuttingDown) return;
    const s = this.state;
    if (s.mode === 'remote' || (s.mode === 'stopped' && s.elsewhere)) {
      const health = await fetchHealth(config.host, config.port, 1500).catch(() => undefined);
      if (health) {
        if (s.mode === 'remote' && s.feed) return;
        if (s.mode === 'remote') {
          // An owner without the event feed (an older Switchyard): its stats on a timer.
          s.snapshot = await fetchStats(config.host, config.port, 1500, config.clientKey).catch(() => s.snapshot);
          this.changed();
          this.schedulePoll();
          return;
        }
        this.follow({ pid: health.pid, instanceId: health.instanceId, version: health.version });
        return;
      }
      if (this.userStopped) {
        this.enter({ mode: 'stopped', elsewhere: false });
        return;
      }
      if (await this.o.stopMarker.isSet(config.port)) {
        // The owner was stopped by the user: do not take the port over, but notice when someone starts it again.
        if (!(s.mode === 'stopped' && s.elsewhere)) this.o.logger.info(`[window] the proxy on port ${config.port} was stopped by the user in another window`);
        this.enter({ mode: 'stopped', elsewhere: true });
        this.schedulePoll();
        return;
      }
      this.o.logger.info(`[window] the Switchyard on port ${config.port} went away; taking over`);
      this.enter({ mode: 'stopped', elsewhere: false });
      await this.startNow();
      return;
    }
    if (s.mode === 'foreign') {
      if (!(await portAcceptsConnections(config.host, config.port))) {
        this.enter({ mode: 'stopped', elsewhere: false });
        await this.startNow();
        return;
      }
      this.schedulePoll();
    }
  }

  // ---- plumbing ----

  /** The state as it is now (read through a call, so an await in between is not narrowed away). */
  private current(): ProxyState {
    return this.state;
  }

  /** The one place the mode changes. */
  private enter(next: ProxyState): void {
    const before = this.state.mode;
    this.state = next;
    if (next.mode !== before) this._onDidChangeMode.fire(next.mode);
    this.changed(true);
  }

  /** Throttled change event; `soon` shortens the wait for state changes the user caused. */
  private changed(soon = false): void {
    if (this.isDisposed) return;
    if (this.changeTimer) {
      if (!soon) return;
      clearTimeout(this.changeTimer);
    }
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      this._onDidChange.fire();
    }, soon ? 10 : (this.o.changeThrottleMs ?? 250));
  }

  /** Queued work nobody awaits: serial() already logs its failure, so it must not become an unhandled rejection. */
  private background(work: () => Promise<unknown>): void {
    this.serial(work).then(undefined, () => undefined);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.ops.then(work, work);
    this.ops = run.catch((err: unknown) => this.o.logger.error(`[window] ${(err as Error)?.stack ?? String(err)}`));
    return run;
  }
}
