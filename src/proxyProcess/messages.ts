// The messages between the VS Code window and its proxy process, over the child's private IPC pipe (the only place keys cross).

import type { SwitchyardConfig } from '../core/config';
import type { HistoryRange, HistoryView } from '../core/history';
import type { LogLevel, RequestRecord } from '../core/log';
import type { PortHolder } from '../core/portOwner';
import type { ProxyStats } from '../core/stats';
import type { Versioned } from '../core/snapshotFeed';
import type { DiagnosticReport, DiagnosticsInput } from '../diagnostics/types';

/** Keys per endpoint (`cluster/endpoint` → keys): they travel only inside these messages. */
export type KeySet = Record<string, readonly string[]>;

export interface StartOptions {
  config: SwitchyardConfig;
  keys: KeySet;
  /** Where usage per day and the traffic history are kept (the extension's global storage). */
  usageFile?: string;
  historyFile?: string;
  logLevel: LogLevel;
}

/** What the window asks of its proxy. Requests with an `id` get a `reply` with the same id. */
export type ToProxy =
  | { type: 'start'; id: number; options: StartOptions }
  | { type: 'config'; config: SwitchyardConfig; keys: KeySet }
  | { type: 'logLevel'; level: LogLevel }
  | { type: 'resetEndpoint'; cluster: string; endpoint: string }
  | { type: 'history'; id: number; range: HistoryRange; cluster?: string; since?: number }
  /** Runs diagnostics here, where the keys are: against the running proxy, or (not listening) the config given. */
  | { type: 'diagnose'; id: number; config: SwitchyardConfig; keys: KeySet; input: Omit<DiagnosticsInput, 'config' | 'tokens' | 'switchyard'> }
  /** Stop listening (in-flight requests get `graceMs`), then exit. A second stop can only shorten the grace. */
  | { type: 'stop'; graceMs: number };

export type StartResult =
  | { ok: true; host: string; port: number; url: string; instanceId: string; pid: number }
  | { ok: false; error: string; code?: string; holder?: PortHolder };

/** What the proxy tells its window. */
export type FromProxy =
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  | { type: 'snapshot'; snapshot: Versioned<ProxyStats> }
  | { type: 'requests'; records: RequestRecord[] }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'stopped' };

export type StartReply = StartResult;
export type HistoryReply = HistoryView;
export type DiagnoseReply = DiagnosticReport;

/** The command-line argument that makes `dist/cli.js` run as a window's proxy process. */
export const PROXY_PROCESS_ARG = '__proxy-process';
