// Scrubs a report so no key (known or merely key-shaped) and no URL password survives into text that gets shared.

import { Redactor } from '../core/log';
import { DiagnosticReport, EvidenceValue } from './types';

const KEY_SHAPED = /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}/g;
const BEARER = /\b(Bearer\s+)([A-Za-z0-9._~+/=-]{12,})/g;
const URL_USERINFO = /(\/\/)[^/@\s]+@/g;

function suffix(value: string): string {
  return `…${value.slice(-4)}`;
}

/** A string with known secrets, key-shaped tokens, bearer values and URL passwords replaced by `…a1b2` forms. */
export function scrubText(text: string, redactor: Redactor): string {
  return redactor
    .redact(text)
    .replace(KEY_SHAPED, (m) => suffix(m))
    .replace(BEARER, (_m, head: string, value: string) => `${head}${suffix(value)}`)
    .replace(URL_USERINFO, '$1…@');
}

/** Any text (a rendered report, notes added to it) scrubbed like a report: `secrets` plus key-shaped strings. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  const redactor = new Redactor();
  redactor.addSecrets(secrets);
  return scrubText(text, redactor);
}

function scrubValue(v: EvidenceValue, redactor: Redactor): EvidenceValue {
  if (typeof v === 'string') return scrubText(v, redactor);
  if (Array.isArray(v)) return v.map((s: string) => scrubText(s, redactor));
  return v;
}

/**
 * A copy of the report with every string scrubbed. `secrets` are the full key values to replace
 * (runDiagnostics passes the keys it used); key-shaped strings are replaced even when not listed.
 */
export function redactReport(report: DiagnosticReport, secrets: readonly string[] = []): DiagnosticReport {
  const redactor = new Redactor();
  redactor.addSecrets(secrets);
  const text = (s: string) => scrubText(s, redactor);
  const out: DiagnosticReport = {
    ...report,
    proxy: { ...report.proxy },
    counts: { ...report.counts },
    endpoints: report.endpoints.map((e) => ({ ...e, baseUrl: text(e.baseUrl), causes: [...e.causes] })),
    checks: report.checks.map((c) => {
      const scrubbed = { ...c, summary: text(c.summary), evidence: Object.fromEntries(Object.entries(c.evidence).map(([k, v]) => [k, scrubValue(v, redactor)])) };
      if (c.fix !== undefined) scrubbed.fix = text(c.fix);
      return scrubbed;
    }),
  };
  if (report.configFile !== undefined) out.configFile = text(report.configFile);
  return out;
}
