// Run Diagnostics: the core's full diagnostics when a config exists; otherwise a short report from this window's view.

import type { SwitchyardConfig } from '../core/config';
import { formatReportMarkdown } from '../diagnostics/format';
import type { DiagnosticReport, DiagnosticsInput } from '../diagnostics/types';
import { describeHolder, whoHoldsPort } from '../core/portOwner';
import { splitTokens } from '../core/runtime';
import type { TokenSource } from '../core/runtime';
import type { EndpointStats } from '../core/stats';
import { isCause, outcome } from '../core/outcomes';
import { describeLastError, endpointDescription, keyDescription, STATE_LABELS } from './format';
import type { ProxyView } from './proxyService';
import { checkReachable, Reachability } from './reachability';

export interface SimpleReport {
  status: 'ok' | 'warn' | 'fail';
  findings: string[];
  markdown: string;
}



function endpointFindings(e: EndpointStats, now: number): string[] {
  const out: string[] = [];
  if (e.disabled) return out;
  if (e.state !== 'healthy') {
    const hint = e.lastError && isCause(e.lastError.cause) ? outcome(e.lastError.cause).hint : '';
    const why = e.lastError ? `: ${describeLastError(e.lastError, now)}${hint ? ` — ${hint}` : ''}` : '';
    out.push(`endpoint **${e.name}** is ${STATE_LABELS[e.state]}${why}`);
  }
  const invalid = e.tokens.filter((k) => k.state === 'invalid');
  if (invalid.length > 0) out.push(`endpoint **${e.name}**: ${invalid.length} of ${e.tokens.length} keys rejected (${invalid.map((k) => k.suffix).join(', ')}) — ${outcome('KEY_INVALID').hint}`);
  return out;
}

export interface DiagnosticsContext {
  view: ProxyView;
  config: SwitchyardConfig | undefined;
  tokens: TokenSource;
  /** Runs the checks where the keys are (the proxy process). */
  run(input: Omit<DiagnosticsInput, 'config' | 'tokens' | 'switchyard'>): Promise<DiagnosticReport>;
  /** What new integrated terminals get from `switchyard.terminalEnv`. */
  terminalEnv: Record<string, string>;
}

export interface DiagnosticsResult {
  status: 'ok' | 'warn' | 'fail';
  markdown: string;
  /** The core's report when it ran. */
  report?: DiagnosticReport;
}

/** Runs every check the core knows (about ten seconds at most); a short report when there is no valid config yet. */
export async function diagnose(ctx: DiagnosticsContext): Promise<DiagnosticsResult> {
  if (!ctx.config) return simpleDiagnostics(ctx.view);
  let report: DiagnosticReport;
  try {
    report = await ctx.run({
      env: process.env,
      clientEnv: { ...process.env, ...ctx.terminalEnv },
      proxy: { host: ctx.view.host, port: ctx.view.port },
    });
  } catch (err) {
    const simple = await simpleDiagnostics(ctx.view);
    return { ...simple, markdown: `${simple.markdown}\n\n_The full diagnostics failed (${(err as Error).message}); this is the short report._\n` };
  }
  const notes: string[] = [];
  if (ctx.view.mode === 'remote') notes.push(`This window does not serve: the proxy on ${ctx.view.url} runs in another VS Code window${ctx.view.owner ? ` (pid ${ctx.view.owner.pid})` : ''}.`);
  if (ctx.view.problem) notes.push(`Settings: ${ctx.view.problem}`);
  const markdown = formatReportMarkdown(report) + (notes.length ? `\n## This window\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` : '');
  return { status: report.status, markdown, report };
}

/** One line for the notification after a run: "Switchyard diagnostics: 2 failures, 1 warning". */
export function diagnosticsSummary(result: DiagnosticsResult): string {
  const counts = result.report?.counts;
  if (!counts) return `Switchyard diagnostics: ${result.status === 'ok' ? 'nothing wrong found' : 'found problems'}.`;
  if (counts.fail === 0 && counts.warn === 0) return `Switchyard diagnostics: all ${counts.ok} checks passed.`;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `Switchyard diagnostics: ${[counts.fail && plural(counts.fail, 'failure'), counts.warn && plural(counts.warn, 'warning')].filter(Boolean).join(', ')}.`;
}

/** Every key this window knows (stored, in settings, in `tokenEnv` variables) and the client key: what shared text must never contain. */
export function knownSecrets(config: SwitchyardConfig | undefined, tokens: TokenSource, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!config) return [];
  const secrets = (config.clusters ?? []).flatMap((c) =>
    (c.endpoints ?? []).flatMap((e) => [...(e.tokens ?? []), ...(e.tokenEnv && env[e.tokenEnv] ? splitTokens(env[e.tokenEnv]!) : []), ...tokens.tokensFor(c.name, e.name)]),
  );
  if (config.clientKey) secrets.push(config.clientKey);
  return secrets;
}

/** A short report from this window's view (no config yet): the port's holder and reachability of active endpoints. */
export async function simpleDiagnostics(v: ProxyView): Promise<SimpleReport> {
  const now = Date.now();
  const findings: string[] = [];
  let status: SimpleReport['status'] = 'ok';
  const bump = (s: SimpleReport['status']) => {
    if (s === 'fail' || (s === 'warn' && status === 'ok')) status = s;
  };
  const md: string[] = [`# Switchyard diagnostics`, '', `${new Date(now).toISOString()}`, '', '## Proxy', ''];
  md.push(`- mode: **${v.mode}**${v.url ? ` at ${v.url}` : ''}${v.owner ? ` (served by another window, pid ${v.owner.pid})` : ''}`);
  if (v.problem) {
    md.push(`- problem: ${v.problem}`);
    findings.push(v.problem);
    bump('fail');
  }
  if (v.mode !== 'serving' && v.mode !== 'unconfigured' && v.mode !== 'invalid') {
    const holder = await whoHoldsPort(v.host, v.port);
    md.push(`- port: ${describeHolder(holder, v.port)}`);
    if (holder.kind === 'foreign') {
      findings.push(`${describeHolder(holder, v.port)} — stop it or set switchyard.port to another port`);
      bump('fail');
    }
    if (v.mode === 'stopped') bump('warn');
  }
  if (v.mode === 'unconfigured') {
    findings.push('no cluster is configured: run "Switchyard: Add Cluster"');
    bump('warn');
  }
  for (const active of v.stats?.clusters.filter((c) => c.active) ?? []) {
    md.push('', `## Active ${active.protocol} cluster "${active.name}" (${active.strategy})`, '');
    if (active.endpoints.length === 0) {
      findings.push(`cluster "${active.name}" has no endpoints: run "Switchyard: Add Endpoint"`);
      bump('fail');
    }
    md.push('| endpoint | state | stats | keys | reachable |', '| --- | --- | --- | --- | --- |');
    const reach = await Promise.all(active.endpoints.map((e) => (e.disabled ? Promise.resolve<Reachability | undefined>(undefined) : checkReachable(e.baseUrl, 4000))));
    active.endpoints.forEach((e, i) => {
      const r = reach[i];
      const keys = e.tokens.length === 0 ? "client's own" : e.tokens.map((k) => `${k.suffix} ${keyDescription(k, now)}`).join(', ');
      const reachable = r === undefined ? '—' : r.reachable ? `yes (HTTP ${r.status}, ${r.ms} ms)` : `**no**: ${r.error}`;
      md.push(`| ${e.name} | ${e.disabled ? 'disabled' : v.live ? STATE_LABELS[e.state] : '—'} | ${endpointDescription(e, v.live, now)} | ${keys} | ${reachable} |`);
      if (v.live) for (const f of endpointFindings(e, now)) findings.push(f);
      if (r && !r.reachable) findings.push(`endpoint **${e.name}** (${e.baseUrl}) cannot be reached: ${r.error}`);
    });
    const enabled = active.endpoints.filter((e) => !e.disabled);
    if (v.live && enabled.length > 0 && enabled.every((e) => e.state !== 'healthy')) bump('fail');
    else if (findings.length > 0) bump('warn');
    if (reach.some((r) => r && !r.reachable)) bump(enabled.length > 0 && reach.every((r) => !r || !r.reachable) ? 'fail' : 'warn');
  }
  md.push('', '## Findings', '');
  if (findings.length === 0) md.push('Nothing wrong found.');
  else for (const f of findings) md.push(`- ${f}`);
  md.push('', '_Keys are shown only as suffixes. Add a cluster for the full checks (DNS, TLS, keys, environment, history)._');
  return { status, findings, markdown: md.join('\n') };
}
