// The window's side of its proxy process: spawns it from the CLI bundle, talks to it over IPC, and says how it ended.

import { ChildProcess, fork } from 'node:child_process';
import type { HistoryRange, HistoryView } from '../core/history';
import type { LogLevel, RequestRecord } from '../core/log';
import type { Versioned } from '../core/snapshotFeed';
import type { ProxyStats } from '../core/stats';
import type { DiagnosticReport } from '../diagnostics/types';
import type { FromProxy, KeySet, StartOptions, StartResult, ToProxy } from './messages';
import { PROXY_PROCESS_ARG } from './messages';
import type { SwitchyardConfig } from '../core/config';

/** How a proxy process ended: asked to (`stopped`), or not (a crash, an out-of-memory, a kill). */
export interface ProxyExit {
  stopped: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of what it wrote to stderr (a native crash or V8's out-of-memory message). */
  stderr: string;
}

export interface ProxyProcessEvents {
  snapshot(s: Versioned<ProxyStats>): void;
  requests(records: RequestRecord[]): void;
  log(level: LogLevel, message: string): void;
  exit(e: ProxyExit): void;
}

const STDERR_TAIL = 4096;

/** Words for how a process ended that was not asked to. */
export function describeExit(e: ProxyExit): string {
  if (/heap out of memory|allocation failed/i.test(e.stderr)) return 'it ran out of memory';
  if (e.signal) return `it was killed by ${e.signal}`;
  return `it exited with code ${e.code}`;
}

/** The proxy's heap cap: far above what 500 open streams need (about 20 MB), far below the machine's memory. */
const HEAP_LIMIT_MB = 512;

export class ProxyProcess {
  readonly exited: Promise<ProxyExit>;
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private stderr = '';
  private stopRequested = false;
  private gone = false;

  /**
   * Starts `cliPath` as a proxy process with the host's own executable (in VS Code the Electron binary run
   * as Node, as vscode-languageclient does). Keys go over the IPC pipe only: never in argv or the environment.
   */
  constructor(cliPath: string, private readonly on: ProxyProcessEvents) {
    this.child = fork(cliPath, [PROXY_PROCESS_ARG], {
      execPath: process.execPath,
      // The host's own flags (an inspector port, say) are not for the proxy; a leak ends the proxy, not the machine.
      execArgv: [`--max-old-space-size=${HEAP_LIMIT_MB}`],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ELECTRON_NO_ASAR: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.stderr?.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString('utf8')).slice(-STDERR_TAIL)));
    this.child.on('message', (m: FromProxy) => this.receive(m));
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.gone) return;
        this.gone = true;
        for (const p of this.pending.values()) p.reject(new Error('the proxy process ended'));
        this.pending.clear();
        const e = { stopped: this.stopRequested && code === 0, code, signal, stderr: this.stderr };
        resolve(e);
        this.on.exit(e);
      };
      this.child.on('exit', done);
      this.child.on('error', () => done(null, null));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.gone;
  }

  start(options: StartOptions): Promise<StartResult> {
    return this.request<StartResult>((id) => ({ type: 'start', id, options }));
  }

  applyConfig(config: SwitchyardConfig, keys: KeySet): void {
    this.post({ type: 'config', config, keys });
  }

  setLogLevel(level: LogLevel): void {
    this.post({ type: 'logLevel', level });
  }

  resetEndpoint(cluster: string, endpoint: string): void {
    this.post({ type: 'resetEndpoint', cluster, endpoint });
  }

  history(range: HistoryRange, cluster?: string, since?: number): Promise<HistoryView | undefined> {
    return this.request<HistoryView | undefined>((id) => ({ type: 'history', id, range, cluster, since }));
  }

  diagnose(config: SwitchyardConfig, keys: KeySet, input: Extract<ToProxy, { type: 'diagnose' }>['input']): Promise<DiagnosticReport> {
    return this.request<DiagnosticReport>((id) => ({ type: 'diagnose', id, config, keys, input }));
  }

  /** Asks it to stop (in-flight requests get `graceMs`); a second call can only shorten the grace. Resolves when it has exited. */
  stop(graceMs: number): Promise<ProxyExit> {
    this.stopRequested = true;
    this.post({ type: 'stop', graceMs });
    return this.exited;
  }

  /** Ends it at once (it does not answer, or the window is closing). */
  kill(): void {
    if (!this.gone) this.child.kill('SIGKILL');
  }

  private post(m: ToProxy): void {
    if (!this.gone && this.child.connected) this.child.send(m);
  }

  private request<T>(make: (id: number) => ToProxy): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.gone) {
        reject(new Error('the proxy process is not running'));
        return;
      }
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post(make(id));
    });
  }

  private receive(m: FromProxy): void {
    switch (m.type) {
      case 'reply': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.result);
        return;
      }
      case 'snapshot':
        this.on.snapshot(m.snapshot);
        return;
      case 'requests':
        this.on.requests(m.records);
        return;
      case 'log':
        this.on.log(m.level, m.message);
        return;
      case 'stopped':
        return;
    }
  }
}
