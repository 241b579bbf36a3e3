// Recent history: the top failure classes per endpoint from the request log, with counts, first/last seen and one example trace.

import { formatRequestLine, RequestRecord } from '../core/log';
import { Cause, outcome } from '../core/outcomes';
import { DiagnosticCause } from './causes';
import { finding, humanMs, ok, plural, Verdict } from './check';
import { readRecentRecords } from './requestLogTail';
import { DiagnosticsHost, settingRef } from './settingNames';
import { DiagnosticCheck } from './types';

export interface HistoryCheckInput {
  /** The request log; undefined when logging to a file is off. */
  file: string | undefined;
  /** Records the caller already holds in memory (the VS Code window's recent ones); read when there is no file. */
  records?: readonly RequestRecord[];
  windowMs: number;
  now?: number;
  runsIn?: DiagnosticsHost;
}

const TOP_CLASSES = 3;

/** What the request log's causes were called in reports before diagnostics used the proxy's own names. */
const FORMERLY: Partial<Record<Cause, string>> = {
  STREAM_STALLED: 'STREAM_STALLS',
  UPSTREAM_5XX: 'SERVER_ERROR',
  UPSTREAM_CONNECT: 'CONNECT_FAILED',
  UPSTREAM_DNS: 'DNS_FAILED',
  UPSTREAM_TLS: 'TLS_HANDSHAKE_FAILED',
  UPSTREAM_TIMEOUT: 'FIRST_BYTE_TIMEOUT',
  UPSTREAM_RESET: 'CONNECTION_RESET',
  BUDGET_EXHAUSTED: 'RETRY_BUDGET_EXHAUSTED',
  KEYS_COOLING: 'ALL_KEYS_COOLING',
  KEYS_INVALID: 'NO_VALID_KEY',
};

/** Fixes worded for a history of failures; other causes fall back to the outcome table's hint. */
const HISTORY_FIX: Partial<Record<DiagnosticCause, string | ((runsIn: DiagnosticsHost) => string)>> = {
  STREAM_STALLED: (runsIn) => `The upstream went silent mid-stream for longer than \`idleMs\` of ${settingRef('timeouts', runsIn)}. A started stream cannot be retried; if this endpoint keeps doing it, lower its weight or disable it, and check the relay's own read timeouts.`,
  STREAM_INCOMPLETE: 'Streams ended without their final event (message_stop / [DONE]): usually a relay or load balancer cutting long responses. Check its timeouts and response size limits.',
  STREAM_RESET: 'The connection dropped mid-stream: a relay or load balancer with a short idle or total timeout, or an unstable network path.',
  RATE_LIMITED: 'Keys hit their rate limits; add keys or spread load over more endpoints.',
  KEY_INVALID: 'A key was rejected; the live HTTP probe above says which one is still bad.',
  OVERLOADED: 'The provider shed load (529); Switchyard failed over. Another endpoint in the cluster helps ride it out.',
  UPSTREAM_5XX: 'The upstream answered 5xx; see its live checks above.',
  UPSTREAM_CONNECT: 'Connections failed; the live DNS/TCP/TLS checks above show whether it still happens.',
  UPSTREAM_TIMEOUT: 'The upstream did not answer before the first-byte deadline; a slow or stuck relay.',
  UPSTREAM_RESET: 'Connections were reset before any response; an unstable relay or middlebox.',
  KEYS_COOLING: 'Every key was rate limited at once; add keys or endpoints.',
  KEYS_INVALID: 'Every key was rejected; replace the keys.',
  BUDGET_EXHAUSTED: 'Too many retries at once (a retry storm); fix the failing endpoint rather than the budget.',
};

interface Group {
  cluster: string | null;
  endpoint: string | undefined;
  logCause: Cause;
  count: number;
  firstSeen: string;
  lastSeen: string;
  clientFailures: number;
  /** Requests already counted in clientFailures: a request whose three attempts failed here failed its client once. */
  counted: Set<string>;
  example: RequestRecord;
}

function failedForClient(r: RequestRecord): boolean {
  return outcome(r.outcome).failure;
}

function addTo(groups: Map<string, Group>, r: RequestRecord, endpoint: string | undefined, cause: Cause): void {
  const key = `${r.cluster}\u0000${endpoint ?? ''}\u0000${cause}`;
  const g = groups.get(key);
  if (!g) {
    const failed = failedForClient(r);
    groups.set(key, { cluster: r.cluster, endpoint, logCause: cause, count: 1, firstSeen: r.time, lastSeen: r.time, clientFailures: failed ? 1 : 0, counted: new Set(failed ? [r.id] : []), example: r });
    return;
  }
  g.count++;
  if (r.time < g.firstSeen) g.firstSeen = r.time;
  if (r.time >= g.lastSeen) {
    g.lastSeen = r.time;
    g.example = r;
  }
  if (failedForClient(r) && !g.counted.has(r.id)) {
    g.counted.add(r.id);
    g.clientFailures++;
  }
}

/** Failure classes per endpoint: every failed attempt, plus request-level outcomes no attempt explains. */
export function groupFailures(records: readonly RequestRecord[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of records) {
    for (const a of r.attempts) if (outcome(a.cause).failure) addTo(groups, r, a.endpoint, a.cause);
    if (failedForClient(r) && !r.attempts.some((a) => a.cause === r.outcome)) addTo(groups, r, undefined, r.outcome);
  }
  return [...groups.values()];
}

function topPerEndpoint(groups: Group[]): Group[] {
  const byEndpoint = new Map<string, Group[]>();
  for (const g of groups) {
    const k = `${g.cluster}\u0000${g.endpoint ?? ''}`;
    byEndpoint.set(k, [...(byEndpoint.get(k) ?? []), g]);
  }
  return [...byEndpoint.values()].flatMap((list) => list.sort((a, b) => b.count - a.count).slice(0, TOP_CLASSES));
}

function historyFix(cause: DiagnosticCause, runsIn: DiagnosticsHost): string | undefined {
  const fix = HISTORY_FIX[cause];
  return typeof fix === 'function' ? fix(runsIn) : fix;
}

function groupVerdict(g: Group, windowMs: number, runsIn: DiagnosticsHost): Verdict {
  const cause: DiagnosticCause = g.logCause;
  const reached = g.clientFailures > 0 ? `${plural(g.clientFailures, 'request')} failed for the client` : 'all absorbed by failover';
  return {
    // Failures clients saw are failures now; ones failover hid are worth a look, not an alarm.
    status: g.clientFailures > 0 ? 'fail' : 'warn',
    cause,
    ...(FORMERLY[cause as Cause] ? { formerly: FORMERLY[cause as Cause] } : {}),
    summary: `${plural(g.count, 'attempt')} ended ${outcome(g.logCause).label} in the last ${humanMs(windowMs)} (${reached})`,
    evidence: {
      logCause: g.logCause,
      count: g.count,
      clientFailures: g.clientFailures,
      firstSeen: g.firstSeen,
      lastSeen: g.lastSeen,
      example: formatRequestLine(g.example).replace(/^\[proxy\] /, ''),
    },
    fix: historyFix(cause, runsIn) ?? (outcome(g.logCause).hint || 'See the live checks of this endpoint above.'),
  };
}

/** Checks the request log of the last window: one check per top failure class per endpoint, or one ok check. */
export async function checkHistory(input: HistoryCheckInput): Promise<DiagnosticCheck[]> {
  const started = performance.now();
  const subject = { area: 'history' as const, title: 'Recent history' };
  const now = input.now ?? Date.now();
  const runsIn = input.runsIn ?? 'headless';
  if (!input.file && input.records) return historyOf(subject, input.records.filter((r) => Date.parse(r.time) >= now - input.windowMs), input.windowMs, 'recent requests held in memory', runsIn, started);
  if (!input.file) {
    // VS Code has no request-log file; its window passes the requests it holds, so this is for a caller that passed none.
    return [finding(subject, ok(runsIn === 'vscode' ? 'no requests were seen to read a history from' : 'the request log is off, so there is no history to read; set `logFile` in the config file to keep one'))];
  }
  const recent = await readRecentRecords(input.file, now - input.windowMs);
  const ms = performance.now() - started;
  if (recent.error && recent.records.length === 0) {
    return [finding(subject, { status: 'warn', cause: 'REQUEST_LOG_UNREADABLE', summary: `the request log cannot be read: ${recent.error}`, evidence: { file: input.file }, fix: 'Check the file\'s permissions; Switchyard writes it with mode 0600 as the user running it.' }, ms)];
  }
  if (recent.files.length === 0) return [finding(subject, ok(`no request log yet at ${input.file}`, { file: input.file }), ms)];
  return historyOf(subject, recent.records, input.windowMs, input.file, runsIn, started);
}

function historyOf(subject: { area: 'history'; title: string }, records: readonly RequestRecord[], windowMs: number, source: string, runsIn: DiagnosticsHost, started: number): DiagnosticCheck[] {
  const ms = performance.now() - started;
  const groups = topPerEndpoint(groupFailures(records));
  if (groups.length === 0) return [finding(subject, ok(`no failures in the last ${humanMs(windowMs)} (${plural(records.length, 'request')})`, { source, requests: records.length }), ms)];
  return groups.map((g) => {
    const verdict = groupVerdict(g, windowMs, runsIn);
    return finding({ ...subject, cluster: g.cluster ?? undefined, endpoint: g.endpoint, detail: verdict.cause }, verdict, ms);
  });
}
