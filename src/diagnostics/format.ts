// Renders a report as plain text (terminal) or as a document (Markdown, the VS Code view), grouped the same way in both.

import { humanMs, plural, statusRank, worst } from './check';
import { ISO_INSTANT } from './localTime';
import { Block, ListItem, prose, Span, Text } from './reportDoc';
import { renderMarkdown } from './reportMarkdown';
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
  return `${fail} failed, ${plural(warn, 'warning')}, ${ok} ok — ${humanMs(report.durationMs)}`;
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

const ISO_ONLY = new RegExp(`^(?:${ISO_INSTANT.source})$`);

function evidenceSpans(c: DiagnosticCheck): Span[] {
  return Object.entries(c.evidence).flatMap(([k, v], i): Span[] => {
    const value = evidenceValue(v);
    const shown: Span = ISO_ONLY.test(value) ? { time: value } : { code: value };
    return [...(i > 0 ? [' · '] : []), `${k} `, shown];
  });
}

function checkItem(c: DiagnosticCheck): ListItem {
  // The pre-0.2 name stays in --json and the terminal text (scripts match those); a person reading the report needs only the current one.
  const cause: Span[] = c.cause === 'OK' ? [] : [' ', { code: c.cause }];
  const details: Text[] = [];
  if (c.status !== 'ok' && Object.keys(c.evidence).length > 0) details.push(['Evidence: ', ...evidenceSpans(c)]);
  if (c.status !== 'ok' && c.fix) details.push(['Fix: ', ...prose(c.fix)]);
  return { text: [{ status: c.status }, ' ', { strong: subjectOf(c) }, ...cause, ' — ', ...prose(c.summary)], details };
}

/** The report as a document: the headline, then each section worst first; the same content as the text form. */
export function reportDocument(report: DiagnosticReport): Block[] {
  const where: Span[] = [' · proxy ', { code: report.proxy.url }, ...(report.configFile ? [' · config ', { code: report.configFile }] : [])];
  const out: Block[] = [
    { kind: 'heading', level: 1, text: ['Switchyard diagnostics'] },
    { kind: 'paragraph', text: [{ strong: headline(report) }, ...where, ' · ', { time: report.createdAt }] },
  ];
  for (const s of sections(report)) {
    out.push({ kind: 'heading', level: 2, text: [s.title] });
    for (const g of s.groups) {
      if (g.endpoint) {
        const e = g.endpoint;
        out.push({ kind: 'heading', level: 3, text: [{ status: e.status }, ` ${e.cluster}/${e.endpoint}`] });
        out.push({ kind: 'paragraph', text: [{ code: e.baseUrl }, ...(e.active ? [' · active cluster'] : [])] });
      }
      out.push({ kind: 'list', items: g.checks.map(checkItem) });
    }
  }
  return out;
}

/** The report as Markdown (for an issue); the same content as the text form. */
export function formatReportMarkdown(report: DiagnosticReport): string {
  return renderMarkdown(reportDocument(report));
}
