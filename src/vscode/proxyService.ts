// Owns this window's part of the proxy: serves on the port, or watches the window that does and takes over when it goes away.

import * as vscode from 'vscode';
import type { SwitchyardConfig } from '../core/config';
import { MemoryHealthStore } from '../core/health';
import type { Logger } from '../core/log';
import type { PortHolder } from '../core/portOwner';
import { buildSnapshot } from '../core/runtime';
import { clusterStats, ProxyStats } from '../core/stats';
import { PortInUseError, Switchyard } from '../core/switchyard';
import { Disposable, toDisposable } from './dispose';
import type { RequestLogBuffer } from './log';
import { portAcceptsConnections } from '../core/ports';
import { fetchStats } from '../core/adminClient';
import type { SecretTokenStore } from './secretTokens';
import type { KeysInSettings, SettingsResult } from './settingsModel';
import type { StopMarker } from './stopMarker';

/**
 * - `unconfigured`: no cluster in the settings yet.
 * - `invalid`: the settings are wrong and there is no earlier good config.
 * - `stopped`: stopped by the user (here or in another window) or autoStart is off.
 * - `serving`: this window owns the port.
 * - `remote`: another window's Switchyard owns it; its stats are shown here.
 * - `foreign`: some other program holds the port.
 * - `failed`: listening failed for another reason (e.g. EACCES).
 */
export type ProxyMode = 'unconfigured' | 'invalid' | 'stopped' | 'starting' | 'serving' | 'remote' | 'foreign' | 'failed';

/** The part of the stats the views need; live views carry the whole ProxyStats. */
export type ViewStats = Pick<ProxyStats, 'activeCluster' | 'clusters' | 'endpoints' | 'requests'> & Partial<ProxyStats>;

/** What the views render: one consistent snapshot of the proxy as seen from this window. */
export interface ProxyView {
  readonly mode: ProxyMode;
  readonly host: string;
  readonly port: number;
  /** Where clients reach the proxy, when one is running (here or in another window). */
  readonly url: string | undefined;
  /** Live stats when a proxy runs; otherwise the configured clusters with no traffic. */
  readonly stats: ViewStats | undefined;
  readonly live: boolean;
  /** The window that serves, when it is not this one. */
  readonly owner?: { pid: number; instanceId: string; version: string };
  readonly holder?: PortHolder;
  /** Why the proxy is not running, or which setting is being ignored. */
  readonly problem?: string;
  readonly stoppedElsewhere?: boolean;
}

/** The UI side effects the service asks for (messages with actions). */
export interface ProxyNotifier {
  portHeldByForeignProcess(holder: PortHolder, host: string, port: number, message: string): void;
  settingsInvalid(message: string, setting: string): void;
  settingsHoldKeys(found: KeysInSettings[]): void;
  listenFailed(message: string): void;
}

export interface ProxyServiceOptions {
  tokens: SecretTokenStore;
  logger: Logger;
  requests: RequestLogBuffer;
  stopMarker: StopMarker;
  notifier: ProxyNotifier;
  readSettings(): SettingsResult;
  autoStart(): boolean;
  /** True while someone looks (view visible, window focused): poll another window's stats faster. */
  wantsFastUpdates(): boolean;
  /** Where per-day usage totals are kept across restarts (the extension's global storage). */
  usageFile?: string;
  /** Throttle for onDidChange; health changes come on every request. */
  changeThrottleMs?: number;
  fastPollMs?: number;
  slowPollMs?: number;
}

/** Default grace for in-flight requests when the extension deactivates (the host waits only a few seconds). */
export const DEACTIVATE_GRACE_MS = 3000;

function sameListen(a: SwitchyardConfig | undefined, b: SwitchyardConfig): boolean {
  return a !== undefined && a.port === b.port && a.host === b.host;
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** How long an old listener may drain after a port or host change (deactivate cuts it shorter). */
const RELISTEN_DRAIN_MS = 60 * 60_000;

export class ProxyService extends Disposable {
  private config: SwitchyardConfig | undefined;
  private mode: ProxyMode = 'unconfigured';
  private settingsProblem: string | undefined;
  private failure: string | undefined;
  private sy: Switchyard | undefined;
  private syListeners: (() => void)[] = [];
  private servingUrl: string | undefined;
  private remote: ProxyStats | undefined;
  private holder: PortHolder | undefined;
  private stoppedElsewhere = false;
  private userStopped = false;
  private offline: { config: SwitchyardConfig; tokensVersion: number; stats: ViewStats } | undefined;
  private tokensVersion = 0;
  private ops: Promise<unknown> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  /** Old listeners still finishing their requests after a port or host change. */
  private readonly draining = new Map<Switchyard, Promise<void>>();
  private shuttingDown = false;
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** Fires (throttled) when anything the views show may have changed. */
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidChangeMode = this._register(new vscode.EventEmitter<ProxyMode>());
  /** Fires at once when the mode changes (serving, remote, stopped, ...). */
  readonly onDidChangeMode = this._onDidChangeMode.event;

  constructor(private readonly o: ProxyServiceOptions) {
    super();
    this._register(o.tokens.onDidChange(() => this.background(async () => this.onTokensChanged())));
    this._register(
      toDisposable(() => {
        if (this.pollTimer) clearTimeout(this.pollTimer);
        if (this.changeTimer) clearTimeout(this.changeTimer);
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
    this.stoppedElsewhere = false;
    return this.serial(async () => {
      await this.o.stopMarker.clear().then(undefined, () => undefined);
      if (this.mode !== 'serving' && this.mode !== 'remote') await this.startNow();
    });
  }

  /** Stop at the user's request: other windows will not take the port over either. */
  stop(graceMs?: number): Promise<void> {
    this.userStopped = true;
    return this.serial(async () => {
      if (this.mode === 'serving' && this.config) await this.o.stopMarker.set(this.config.port).then(undefined, () => undefined);
      await this.stopNow(graceMs);
    });
  }

  restart(): Promise<void> {
    this.userStopped = false;
    this.stoppedElsewhere = false;
    return this.serial(async () => {
      await this.o.stopMarker.clear().then(undefined, () => undefined);
      await this.stopNow();
      await this.startNow();
    });
  }

  /** Stops for good (deactivate): in-flight requests get `graceMs`; another window may take over. */
  shutdown(graceMs = DEACTIVATE_GRACE_MS): Promise<void> {
    this.shuttingDown = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    return this.serial(async () => {
      const grace = Math.min(graceMs, this.config?.timeouts.shutdownGraceMs ?? graceMs);
      // Old listeners drained without a limit so far; now they get the same grace as the live one.
      await Promise.all([this.stopNow(grace), ...[...this.draining.keys()].map((old) => old.stop(grace).catch(() => undefined))]);
      await Promise.all([...this.draining.values()]);
    });
  }

  /** Forgets an endpoint's failures (only possible in the window that serves). */
  resetEndpoint(cluster: string, endpoint: string): boolean {
    if (!this.sy) return false;
    this.sy.resetEndpoint(cluster, endpoint);
    return true;
  }

  /** Polls another window's Switchyard now (the Refresh command). */
  refresh(): Promise<void> {
    return this.serial(async () => {
      if (this.mode === 'remote' || this.mode === 'foreign' || this.stoppedElsewhere) await this.pollOnce();
      this.changed(true);
    });
  }

  /** Waits for every queued operation to finish (tests, commands that wrote settings). */
  settled(): Promise<void> {
    return this.serial(async () => undefined);
  }

  /** The in-process Switchyard when this window serves. */
  get instance(): Switchyard | undefined {
    return this.sy;
  }

  get currentConfig(): SwitchyardConfig | undefined {
    return this.config;
  }

  view(): ProxyView {
    const config = this.config;
    const host = config?.host ?? '127.0.0.1';
    const port = this.sy?.address?.port ?? config?.port ?? 0;
    const problem = this.failure ?? this.settingsProblem;
    switch (this.mode) {
      case 'serving':
        return { mode: 'serving', host, port, url: this.servingUrl, stats: this.sy!.stats(), live: true, problem };
      case 'remote': {
        const stats = this.remote ?? this.offlineStats();
        const owner = this.remote ? { pid: this.remote.pid, instanceId: this.remote.instanceId, version: this.remote.version } : undefined;
        return { mode: 'remote', host, port, url: urlOf(host, port), stats, live: this.remote !== undefined, owner, problem };
      }
      default:
        return { mode: this.mode, host, port, url: undefined, stats: this.offlineStats(), live: false, holder: this.holder, problem, stoppedElsewhere: this.stoppedElsewhere };
    }
  }

  // ---- settings and keys ----

  private async applySettings(initial: boolean): Promise<void> {
    if (this.shuttingDown) return;
    const result = this.o.readSettings();
    if (result.kind === 'unconfigured') {
      this.settingsProblem = undefined;
      this.config = undefined;
      if (this.sy) await this.stopNow();
      this.stopPolling();
      this.setMode('unconfigured');
      return;
    }
    if (result.kind === 'invalid') {
      this.settingsProblem = result.message;
      this.o.logger.error(`[config] ${result.message}${this.config ? ' — keeping the last good configuration' : ''}`);
      this.o.notifier.settingsInvalid(result.message, result.setting);
      if (!this.config) this.setMode('invalid');
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
    await this.o.tokens.load(result.config);
    const config = result.config;
    this.config = config;
    const listenChanged = !sameListen(previous, config);
    switch (this.mode) {
      case 'serving':
        if (listenChanged) await this.relisten();
        else this.sy!.applyConfig(config);
        break;
      case 'remote':
      case 'foreign':
        if (listenChanged) await this.startNow();
        break;
      case 'stopped':
        if (listenChanged && this.stoppedElsewhere) {
          this.stoppedElsewhere = false;
          if (this.o.autoStart() && !this.userStopped) await this.startNow();
        }
        break;
      case 'failed':
        if (listenChanged && this.o.autoStart() && !this.userStopped) await this.startNow();
        break;
      case 'unconfigured':
      case 'invalid':
        if (this.o.autoStart() && (initial || !this.userStopped)) await this.startNow();
        else this.setMode('stopped');
        break;
      case 'starting':
        break;
    }
    this.changed(true);
  }

  private onTokensChanged(): void {
    this.tokensVersion++;
    if (this.sy && this.config) {
      // The token store is already updated; a new snapshot generation picks the keys up.
      this.sy.refreshTokens();
    }
    this.changed(true);
  }

  private offlineStats(): ViewStats | undefined {
    const config = this.config;
    if (!config) return undefined;
    if (this.offline && this.offline.config === config && this.offline.tokensVersion === this.tokensVersion) return this.offline.stats;
    const snap = buildSnapshot(config, 0, this.o.tokens, {});
    const clusters = clusterStats(snap, new MemoryHealthStore(config.health));
    const stats: ViewStats = {
      listening: null,
      activeCluster: config.activeCluster,
      requests: { total: 0, inFlight: 0, retriesInFlight: 0, failed: 0 },
      endpoints: clusters.find((c) => c.active)?.endpoints ?? [],
      clusters,
    };
    this.offline = { config, tokensVersion: this.tokensVersion, stats };
    return stats;
  }

  // ---- listening ----

  private async startNow(retries = 1): Promise<void> {
    const config = this.config;
    if (!config || this.shuttingDown) return;
    if (this.sy) return;
    this.stopPolling();
    this.failure = undefined;
    this.holder = undefined;
    this.remote = undefined;
    this.setMode('starting');
    const sy = new Switchyard({ config, tokens: this.o.tokens, logger: this.o.logger, writeRequestLog: false, usageFile: this.o.usageFile });
    try {
      const address = await sy.start(config.port, config.host);
      this.sy = sy;
      this.servingUrl = address.url;
      this.syListeners = [sy.onDidChange(() => this.changed()), sy.onRequest((r) => this.o.requests.push(r))];
      this.stoppedElsewhere = false;
      // Serving again ends any earlier "stopped by the user", or a stale marker would block later takeovers.
      void this.o.stopMarker.clear().then(undefined, () => undefined);
      this.setMode('serving');
    } catch (err) {
      await sy.stop(0).catch(() => undefined);
      if (err instanceof PortInUseError) {
        const holder = err.holder;
        if (holder.kind === 'switchyard') {
          this.o.logger.info(`[window] port ${config.port} is served by the Switchyard in another window (pid ${holder.health.pid}); showing its state here`);
          this.remote = await fetchStats(config.host, config.port).catch(() => undefined);
          this.setMode('remote');
          this.schedulePoll();
          return;
        }
        if (holder.kind === 'free' && retries > 0) {
          // The holder went away between listen() and the check: try once more.
          await new Promise((r) => setTimeout(r, 200));
          return this.startNow(retries - 1);
        }
        this.holder = holder;
        this.o.logger.warn(`[server] ${err.message}`);
        this.setMode('foreign');
        this.o.notifier.portHeldByForeignProcess(holder, config.host, config.port, err.message);
        this.schedulePoll();
        return;
      }
      this.failure = `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`;
      this.o.logger.error(`[server] ${this.failure}`);
      this.setMode('failed');
      this.o.notifier.listenFailed(this.failure);
    }
  }

  private async stopNow(graceMs?: number): Promise<void> {
    this.stopPolling();
    const sy = this.detach();
    this.remote = undefined;
    this.holder = undefined;
    this.failure = undefined;
    this.setMode(this.config ? 'stopped' : 'unconfigured');
    if (sy) await sy.stop(graceMs ?? this.config?.timeouts.shutdownGraceMs);
  }

  /** The port or host changed while serving: drain the old listener in the background and listen anew. */
  private async relisten(): Promise<void> {
    const old = this.detach();
    if (old) {
      // A port change must not cut a long stream: the old listener drains for as long as it takes.
      const draining = old.stop(RELISTEN_DRAIN_MS).catch(() => undefined);
      this.draining.set(old, draining);
      void draining.then(() => this.draining.delete(old));
      await new Promise((r) => setImmediate(r));
    }
    this.setMode('stopped');
    await this.startNow();
  }

  private detach(): Switchyard | undefined {
    const sy = this.sy;
    this.sy = undefined;
    this.servingUrl = undefined;
    for (const off of this.syListeners) off();
    this.syListeners = [];
    return sy;
  }

  // ---- watching another window ----

  private pollInterval(): number {
    if (this.mode === 'foreign' || this.stoppedElsewhere) return this.o.slowPollMs ?? 5000;
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

  private async pollOnce(): Promise<void> {
    const config = this.config;
    if (!config || this.shuttingDown) return;
    if (this.mode === 'remote' || (this.mode === 'stopped' && this.stoppedElsewhere)) {
      try {
        this.remote = await fetchStats(config.host, config.port);
        this.stoppedElsewhere = false;
        if (this.mode !== 'remote') this.setMode('remote');
        this.changed();
        this.schedulePoll();
        return;
      } catch {
        this.remote = undefined;
      }
      if (this.userStopped) {
        this.setMode('stopped');
        return;
      }
      if (await this.o.stopMarker.isSet(config.port)) {
        // The owner was stopped by the user: do not take the port over, but notice when someone starts it again.
        if (!this.stoppedElsewhere) this.o.logger.info(`[window] the proxy on port ${config.port} was stopped by the user in another window`);
        this.stoppedElsewhere = true;
        this.setMode('stopped');
        this.schedulePoll();
        return;
      }
      this.o.logger.info(`[window] the Switchyard on port ${config.port} went away; taking over`);
      await this.startNow();
      return;
    }
    if (this.mode === 'foreign') {
      if (!(await portAcceptsConnections(config.host, config.port))) {
        await this.startNow();
        return;
      }
      this.schedulePoll();
    }
  }

  // ---- plumbing ----

  private setMode(mode: ProxyMode): void {
    if (this.mode === mode) {
      this.changed(true);
      return;
    }
    this.mode = mode;
    this._onDidChangeMode.fire(mode);
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
