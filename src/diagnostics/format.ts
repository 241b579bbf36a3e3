// Renders a report as plain text (terminal) or Markdown (VS Code), grouped the same way in both.

import { humanMs, statusRank, worst } from './check';
import { CheckStatus, DiagnosticCheck, DiagnosticReport, EndpointVerdict, Evidence } from './types';

interface Group {
  /** For endpoint groups: which endpoint. */
  endpoint?: EndpointVerdict;
  checks: DiagnosticCheck[];
}

interface Section {
  title: string;
  groups: Group[];
}

/** Worst first; Array.prototype.sort is stable, so equal statuses keep their natural order. */
function worstFirst<T>(items: T[], statusOf: (item: T) => CheckStatus): T[] {
  return [...items].sort((a, b) => statusRank(statusOf(b)) - statusRank(statusOf(a)));
}

function groupStatus(g: Group): CheckStatus {
  return g.endpoint?.status ?? worst(g.checks.map((c) => c.status));
}

function endpointGroups(report: DiagnosticReport): Group[] {
  const endpointChecks = report.checks.filter((c) => c.area === 'endpoint');
  return report.endpoints
    .map((v) => ({ endpoint: v, checks: endpointChecks.filter((c) => c.cluster === v.cluster && c.endpoint === v.endpoint) }))
    .filter((g) => g.checks.length > 0);
}

/** The report cut into the sections both formats show: failures first, then warnings, then what passed. */
function sections(report: DiagnosticReport): Section[] {
  const area = (a: DiagnosticCheck['area']) => report.checks.filter((c) => c.area === a);
  const all: Section[] = [
    { title: 'Proxy and port', groups: [{ checks: [...area('proxy'), ...area('port')] }] },
    { title: 'Config', groups: [{ checks: area('config') }] },
    { title: 'Endpoints', groups: endpointGroups(report) },
    { title: "Clients' environment", groups: [{ checks: area('environment') }] },
    { title: 'Recent history', groups: [{ checks: area('history') }] },
  ];
  const sorted = all
    .filter((s) => s.groups.some((g) => g.checks.length > 0))
    .map((s) => ({ ...s, groups: worstFirst(s.groups, groupStatus).map((g) => ({ ...g, checks: worstFirst(g.checks, (c) => c.status) })) }));
  return worstFirst(sorted, (s) => worst(s.groups.map(groupStatus)));
}

function evidenceValue(v: Evidence[string]): string {
  if (v === null) return '—';
  if (Array.isArray(v)) return v.join(', ') || '—';
  return String(v);
}

function headline(report: DiagnosticReport): string {
  const { fail, warn, ok } = report.counts;
  return `${fail} failed, ${warn} warning${warn === 1 ? '' : 's'}, ${ok} ok — ${humanMs(report.durationMs)}`;
}

function subjectOf(c: DiagnosticCheck): string {
  const where = c.area === 'endpoint' ? '' : c.cluster !== undefined ? ` (${c.cluster}${c.endpoint ? `/${c.endpoint}` : ''})` : '';
  return `${c.title}${c.key ? ` ${c.key}` : ''}${where}`;
}

const TEXT_MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

function textCheck(c: DiagnosticCheck): string[] {
  const cause = c.cause === 'OK' ? '' : `${c.cause}${c.formerly ? ` (formerly ${c.formerly})` : ''}  `;
  const lines = [`  ${TEXT_MARK[c.status]}  ${subjectOf(c).padEnd(18)} ${cause}${c.summary}`];
  if (c.status === 'ok') return lines;
  const evidence = Object.entries(c.evidence).map(([k, v]) => `${k}: ${evidenceValue(v)}`);
  const pad = ' '.repeat(8);
  if (evidence.length > 0) lines.push(`${pad}evidence: ${evidence.join(' · ')}`);
  if (c.fix) lines.push(`${pad}fix: ${c.fix}`);
  return lines;
}

/** The report as plain text for a terminal; problems carry their evidence and fix, passing checks one line each. */
export function formatReportText(report: DiagnosticReport): string {
  const out = [`Switchyard diagnostics: ${headline(report)}`, `proxy ${report.proxy.url}${report.configFile ? ` · config ${report.configFile}` : ''}`];
  for (const s of sections(report)) {
    out.push('', s.title.toUpperCase());
    for (const g of s.groups) {
      if (g.endpoint) {
        const e = g.endpoint;
        out.push(`  ${e.cluster}/${e.endpoint}  ${e.baseUrl}${e.active ? '  (active cluster)' : ''}  → ${TEXT_MARK[e.status].trim()}`);
        out.push(...g.checks.flatMap(textCheck).map((l) => `  ${l}`));
      } else {
        out.push(...g.checks.flatMap(textCheck));
      }
    }
  }
  return `${out.join('\n')}\n`;
}

const MD_MARK: Record<CheckStatus, string> = { ok: '✅', warn: '⚠️', fail: '❌' };

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function markdownCheck(c: DiagnosticCheck): string[] {
  const cause = c.cause === 'OK' ? '' : ` ${code(c.cause)}${c.formerly ? ` (formerly ${code(c.formerly)})` : ''}`;
  const lines = [`- ${MD_MARK[c.status]} **${subjectOf(c)}**${cause} — ${c.summary}`];
  const evidence = Object.entries(c.evidence).map(([k, v]) => `${k} ${code(evidenceValue(v))}`);
  if (c.status !== 'ok' && evidence.length > 0) lines.push(`  - Evidence: ${evidence.join(' · ')}`);
  if (c.status !== 'ok' && c.fix) lines.push(`  - Fix: ${c.fix}`);
  return lines;
}

/** The report as Markdown (for a VS Code preview or an issue); the same content as the text form. */
export function formatReportMarkdown(report: DiagnosticReport): string {
  const out = ['# Switchyard diagnostics', '', `**${headline(report)}** · proxy ${code(report.proxy.url)}${report.configFile ? ` · config ${code(report.configFile)}` : ''} · ${report.createdAt}`];
  for (const s of sections(report)) {
    out.push('', `## ${s.title}`);
    for (const g of s.groups) {
      if (g.endpoint) {
        const e = g.endpoint;
        out.push('', `### ${MD_MARK[e.status]} ${e.cluster}/${e.endpoint}`, '', `${code(e.baseUrl)}${e.active ? ' · active cluster' : ''}`, '');
      } else {
        out.push('');
      }
      out.push(...g.checks.flatMap(markdownCheck));
    }
  }
  return `${out.join('\n')}\n`;
}
