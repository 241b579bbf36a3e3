// Run Diagnostics: the core's full diagnostics when a config exists; otherwise a short report from this window's view.

import type { SwitchyardConfig } from '../core/config';
import type { RequestRecord } from '../core/log';
import { plural } from '../diagnostics/check';
import { reportDocument } from '../diagnostics/format';
import type { Block, ListItem, ReportDoc, Text } from '../diagnostics/reportDoc';
import { renderMarkdown } from '../diagnostics/reportMarkdown';
import type { DiagnosticReport, DiagnosticsInput } from '../diagnostics/types';
import { describeHolder, whoHoldsPort } from '../core/portOwner';
import { splitKeys } from '../core/runtime';
import type { KeySource } from '../core/runtime';
import type { EndpointStats } from '../core/stats';
import { isCause, outcome } from '../core/outcomes';
import { describeLastError, endpointDescription, keyDescription, STATE_LABELS } from './format';
import type { ProxyView } from './proxyService';
import { checkReachable, Reachability } from './reachability';

export interface SimpleReport {
  status: 'ok' | 'warn' | 'fail';
  findings: Text[];
  doc: ReportDoc;
}

function endpointFindings(e: EndpointStats, now: number): Text[] {
  const out: Text[] = [];
  if (e.disabled) return out;
  if (e.state !== 'healthy') {
    const hint = e.lastError && isCause(e.lastError.cause) ? outcome(e.lastError.cause).hint : '';
    const why = e.lastError ? `: ${describeLastError(e.lastError, now)}${hint ? ` — ${hint}` : ''}` : '';
    out.push(['endpoint ', { strong: e.name }, ` is ${STATE_LABELS[e.state]}${why}`]);
  }
  const invalid = e.keys.filter((k) => k.state === 'invalid');
  if (invalid.length > 0) out.push(['endpoint ', { strong: e.name }, `: ${invalid.length} of ${plural(e.keys.length, 'key')} rejected (${invalid.map((k) => k.suffix).join(', ')}) — ${outcome('KEY_INVALID').hint}`]);
  return out;
}

export interface DiagnosticsContext {
  view: ProxyView;
  config: SwitchyardConfig | undefined;
  keys: KeySource;
  /** Runs the checks where the keys are (the proxy process). */
  run(input: Omit<DiagnosticsInput, 'config' | 'tokens' | 'switchyard'>): Promise<DiagnosticReport>;
  /** What new integrated terminals get from `switchyard.terminalEnv`. */
  terminalEnv: Record<string, string>;
  /** The requests this window holds (what Tail Logs shows): VS Code has no request-log file to read instead. */
  recentRequests: readonly RequestRecord[];
}

export interface DiagnosticsResult {
  status: 'ok' | 'warn' | 'fail';
  /** The report for the view. */
  doc: ReportDoc;
  /** The same report as Markdown to share: times in ISO as well as local. */
  markdown: string;
  /** The core's report when it ran. */
  report?: DiagnosticReport;
}

function result(status: DiagnosticsResult['status'], doc: ReportDoc, report?: DiagnosticReport): DiagnosticsResult {
  return { status, doc, markdown: renderMarkdown(doc), ...(report ? { report } : {}) };
}

/** Runs every check the core knows (about ten seconds at most); a short report when there is no valid config yet. */
export async function diagnose(ctx: DiagnosticsContext): Promise<DiagnosticsResult> {
  if (!ctx.config) {
    const simple = await simpleDiagnostics(ctx.view);
    return result(simple.status, simple.doc);
  }
  let report: DiagnosticReport;
  try {
    report = await ctx.run({
      env: process.env,
      clientEnv: { ...process.env, ...ctx.terminalEnv },
      proxy: { host: ctx.view.host, port: ctx.view.port },
      recentRequests: ctx.recentRequests,
      runsIn: 'vscode',
    });
  } catch (err) {
    const simple = await simpleDiagnostics(ctx.view);
    return result(simple.status, [...simple.doc, { kind: 'paragraph', text: [{ em: `The full diagnostics failed (${(err as Error).message}); this is the short report.` }] }]);
  }
  const notes: Text[] = [];
  if (ctx.view.mode === 'remote') notes.push([`This window does not serve: the proxy on ${ctx.view.url} runs in another VS Code window${ctx.view.owner ? ` (pid ${ctx.view.owner.pid})` : ''}.`]);
  if (ctx.view.problem) notes.push([`Settings: ${ctx.view.problem}`]);
  const windowNotes: Block[] = notes.length ? [{ kind: 'heading', level: 2, text: ['This window'] }, { kind: 'list', items: notes.map((text) => ({ text })) }] : [];
  return result(report.status, [...reportDocument(report), ...windowNotes], report);
}

/** One line for the notification after a run: "Switchyard diagnostics: 2 failures, 1 warning". */
export function diagnosticsSummary(result: DiagnosticsResult): string {
  const counts = result.report?.counts;
  if (!counts) return `Switchyard diagnostics: ${result.status === 'ok' ? 'nothing wrong found' : 'found problems'}.`;
  if (counts.fail === 0 && counts.warn === 0) return `Switchyard diagnostics: ${counts.ok === 1 ? 'the one check' : `all ${counts.ok} checks`} passed.`;
  return `Switchyard diagnostics: ${[counts.fail && plural(counts.fail, 'failure'), counts.warn && plural(counts.warn, 'warning')].filter(Boolean).join(', ')}.`;
}

/** Every key this window knows (stored, in settings, in `keyEnv` variables) and the client key: what shared text must never contain. */
export function knownSecrets(config: SwitchyardConfig | undefined, tokens: KeySource, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!config) return [];
  const secrets = (config.clusters ?? []).flatMap((c) =>
    (c.endpoints ?? []).flatMap((e) => [...(e.keys ?? []), ...(e.keyEnv && env[e.keyEnv] ? splitKeys(env[e.keyEnv]!) : []), ...tokens.keysFor(c.name, e.name)]),
  );
  if (config.clientKey) secrets.push(config.clientKey);
  return secrets;
}

/** A short report from this window's view (no config yet): the port's holder and reachability of active endpoints. */
export async function simpleDiagnostics(v: ProxyView): Promise<SimpleReport> {
  const now = Date.now();
  const findings: Text[] = [];
  let status: SimpleReport['status'] = 'ok';
  const bump = (s: SimpleReport['status']) => {
    if (s === 'fail' || (s === 'warn' && status === 'ok')) status = s;
  };
  const doc: Block[] = [{ kind: 'heading', level: 1, text: ['Switchyard diagnostics'] }, { kind: 'paragraph', text: [{ time: new Date(now).toISOString() }] }, { kind: 'heading', level: 2, text: ['Proxy'] }];
  const proxy: ListItem[] = [{ text: ['mode: ', { strong: v.mode }, `${v.url ? ` at ${v.url}` : ''}${v.owner ? ` (served by another window, pid ${v.owner.pid})` : ''}`] }];
  doc.push({ kind: 'list', items: proxy });
  if (v.problem) {
    proxy.push({ text: [`problem: ${v.problem}`] });
    findings.push([v.problem]);
    bump('fail');
  }
  if (v.mode !== 'serving' && v.mode !== 'unconfigured' && v.mode !== 'invalid') {
    const holder = await whoHoldsPort(v.host, v.port);
    proxy.push({ text: [`port: ${describeHolder(holder, v.port)}`] });
    if (holder.kind === 'foreign') {
      findings.push([`${describeHolder(holder, v.port)} — stop it or set `, { code: 'switchyard.port' }, ' to another port']);
      bump('fail');
    }
    if (v.mode === 'stopped') bump('warn');
  }
  if (v.mode === 'unconfigured') {
    findings.push(['no cluster is configured: run "Switchyard: Add Cluster"']);
    bump('warn');
  }
  for (const active of v.stats?.clusters.filter((c) => c.active) ?? []) {
    doc.push({ kind: 'heading', level: 2, text: [`Active ${active.protocol} cluster "${active.name}" (${active.strategy})`] });
    if (active.endpoints.length === 0) {
      findings.push([`cluster "${active.name}" has no endpoints: run "Switchyard: Add Endpoint"`]);
      bump('fail');
    }
    const reach = await Promise.all(active.endpoints.map((e) => (e.disabled ? Promise.resolve<Reachability | undefined>(undefined) : checkReachable(e.baseUrl, 4000))));
    const rows = active.endpoints.map((e, i): Text[] => {
      const r = reach[i];
      const keys = e.keys.length === 0 ? "client's own" : e.keys.map((k) => `${k.suffix} ${keyDescription(k, now)}`).join(', ');
      const reachable: Text = r === undefined ? ['—'] : r.reachable ? [`yes (HTTP ${r.status}, ${r.ms} ms)`] : [{ strong: 'no' }, `: ${r.error}`];
      if (v.live) for (const f of endpointFindings(e, now)) findings.push(f);
      if (r && !r.reachable) findings.push(['endpoint ', { strong: e.name }, ` (${e.baseUrl}) cannot be reached: ${r.error}`]);
      return [[e.name], [e.disabled ? 'disabled' : v.live ? STATE_LABELS[e.state] : '—'], [endpointDescription(e, v.live, now)], [keys], reachable];
    });
    doc.push({ kind: 'table', head: ['endpoint', 'state', 'stats', 'keys', 'reachable'], rows });
    const enabled = active.endpoints.filter((e) => !e.disabled);
    if (v.live && enabled.length > 0 && enabled.every((e) => e.state !== 'healthy')) bump('fail');
    else if (findings.length > 0) bump('warn');
    if (reach.some((r) => r && !r.reachable)) bump(enabled.length > 0 && reach.every((r) => !r || !r.reachable) ? 'fail' : 'warn');
  }
  doc.push({ kind: 'heading', level: 2, text: ['Findings'] });
  doc.push(findings.length === 0 ? { kind: 'paragraph', text: ['Nothing wrong found.'] } : { kind: 'list', items: findings.map((text) => ({ text })) });
  doc.push({ kind: 'paragraph', text: [{ em: 'Keys are shown only as suffixes. Add a cluster for the full checks (DNS, TLS, keys, environment, history).' }] });
  return { status, findings, doc };
}
