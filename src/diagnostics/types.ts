// The diagnostics contract: what a run takes in, the checks it produces and the report they form.

import type { SwitchyardConfig } from '../core/config';
import type { RequestRecord } from '../core/log';
import type { KeySource } from '../core/runtime';
import type { Switchyard } from '../core/switchyard';
import type { DiagnosticCause } from './causes';
import type { DiagnosticsHost } from './settingNames';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export type CheckArea = 'proxy' | 'port' | 'config' | 'endpoint' | 'environment' | 'history';
export type EndpointStep = 'dns' | 'tcp' | 'tls' | 'http';

export type EvidenceValue = string | number | boolean | null | readonly string[];
/** Facts behind a verdict (timings, statuses, addresses, dates); never a key, only `…a1b2` suffixes. */
export type Evidence = Record<string, EvidenceValue>;

/** One finding: a verdict, a stable cause, one line of explanation, the evidence and what to do. */
export interface DiagnosticCheck {
  /** Unique within a report, e.g. `endpoint:main/official:http:…a1b2`. */
  id: string;
  area: CheckArea;
  step?: EndpointStep;
  title: string;
  status: CheckStatus;
  cause: DiagnosticCause;
  /** The finding's code before the rename to the proxy's vocabulary, kept readable for one release. */
  formerly?: string;
  summary: string;
  evidence: Evidence;
  fix?: string;
  cluster?: string;
  endpoint?: string;
  /** Key suffix (`…a1b2`) for per-key checks. */
  key?: string;
  /** How long the check took. */
  ms: number;
}

/** The worst verdict per endpoint, so a tree can mark it without reading every check. */
export interface EndpointVerdict {
  cluster: string;
  endpoint: string;
  baseUrl: string;
  active: boolean;
  status: CheckStatus;
  /** Causes of the checks that did not pass, worst first. */
  causes: DiagnosticCause[];
}

export interface DiagnosticReport {
  createdAt: string;
  durationMs: number;
  /** The worst status of any check. */
  status: CheckStatus;
  counts: Record<CheckStatus, number>;
  configFile?: string;
  /** Where the proxy was looked for. */
  proxy: { host: string; port: number; url: string };
  checks: DiagnosticCheck[];
  endpoints: EndpointVerdict[];
}

/** Per-step deadlines in milliseconds; `totalMs` caps the whole run (every step gets at most what is left). */
export interface DiagnosticDeadlines {
  dnsMs: number;
  connectMs: number;
  tlsMs: number;
  httpMs: number;
  /** Round trip to the proxy's own admin routes. */
  proxyMs: number;
  /** Finding the process that holds a port (/proc, lsof, netstat). */
  portOwnerMs: number;
  totalMs: number;
}

export const DEFAULT_DEADLINES: DiagnosticDeadlines = {
  dnsMs: 1500,
  connectMs: 2000,
  tlsMs: 2000,
  httpMs: 3500,
  proxyMs: 1500,
  portOwnerMs: 2000,
  totalMs: 9500,
};

/** What diagnostics need from a Switchyard running in this process (VS Code). */
export type InProcessSwitchyard = Pick<Switchyard, 'instanceId' | 'address' | 'healthInfo' | 'stats'>;

export interface DiagnosticsInput {
  config: SwitchyardConfig;
  configFile?: string;
  /** The config did not validate: `config` is only what could be read of it, and this becomes a finding. */
  configError?: { field: string; problem: string };
  /** Keys kept outside the config; combined with `keys`/`keyEnv` exactly as the proxy does. */
  keys?: KeySource;
  /** The environment for `keyEnv`, proxy variables and `API_TIMEOUT_MS` (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The environment new terminals get (VS Code: env plus the extension's terminal variables); default `env`. */
  clientEnv?: NodeJS.ProcessEnv;
  /** Home directory for `~` paths and `~/.claude/settings.json` (default os.homedir()). */
  homeDir?: string;
  /** A Switchyard running in this process; otherwise `proxy` (or the config's host/port) is probed over HTTP. */
  switchyard?: InProcessSwitchyard;
  proxy?: { host: string; port: number };
  /** The JSON-lines request log (default the config's `log.file`). */
  requestLogFile?: string;
  /** Where the report will be read: fixes name `switchyard.*` settings and palette commands in VS Code (default headless). */
  runsIn?: DiagnosticsHost;
  /** Requests the caller already holds (VS Code: the window's recent ones, as Tail Logs shows them); the history when there is no request log. */
  recentRequests?: readonly RequestRecord[];
  deadlines?: Partial<DiagnosticDeadlines>;
  /** A probe slower than this (to response headers) is SLOW_ENDPOINT; default `health.slowMs`, or 2000. */
  slowMs?: number;
  /** How far back the request log is read (default 15 minutes). */
  historyWindowMs?: number;
  /** Extra CA certificates trusted on top of Node's own (a corporate or private CA). */
  tls?: { ca?: string | Buffer | Array<string | Buffer> };
}

/** The verdict for one endpoint, for marking it in a tree. */
export function endpointVerdict(report: DiagnosticReport, cluster: string, endpoint: string): EndpointVerdict | undefined {
  return report.endpoints.find((e) => e.cluster === cluster && e.endpoint === endpoint);
}
