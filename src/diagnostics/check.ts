// Small building blocks every check shares: building a finding, ranking verdicts, and deadlines.

import { DiagnosticCause } from './causes';
import { CheckArea, CheckStatus, DiagnosticCheck, EndpointStep, Evidence } from './types';

/** What a check is about; everything a finding needs besides its verdict. */
export interface CheckSubject {
  area: CheckArea;
  title: string;
  step?: EndpointStep;
  cluster?: string;
  endpoint?: string;
  key?: string;
  /** Tells apart several checks about the same thing (goes into the id only). */
  detail?: string;
}

export interface Verdict {
  status: CheckStatus;
  cause: DiagnosticCause;
  /** The code this finding had before diagnostics spoke the proxy's vocabulary (see RENAMED_CAUSES). */
  formerly?: string;
  summary: string;
  evidence?: Evidence;
  fix?: string;
}

function checkId(s: CheckSubject): string {
  const where = s.cluster !== undefined ? `${s.cluster}/${s.endpoint ?? '*'}` : s.title.toLowerCase().replace(/\W+/g, '-');
  return [s.area, where, s.step, s.key, s.detail].filter((p) => p !== undefined).join(':');
}

/** A finished check. */
export function finding(subject: CheckSubject, verdict: Verdict, ms = 0): DiagnosticCheck {
  const check: DiagnosticCheck = {
    id: checkId(subject),
    area: subject.area,
    title: subject.title,
    status: verdict.status,
    cause: verdict.cause,
    ...(verdict.formerly ? { formerly: verdict.formerly } : {}),
    summary: verdict.summary,
    evidence: verdict.evidence ?? {},
    ms: Math.round(ms),
  };
  if (subject.step) check.step = subject.step;
  if (verdict.fix) check.fix = verdict.fix;
  if (subject.cluster !== undefined) check.cluster = subject.cluster;
  if (subject.endpoint !== undefined) check.endpoint = subject.endpoint;
  if (subject.key !== undefined) check.key = subject.key;
  return check;
}

export const ok = (summary: string, evidence?: Evidence): Verdict => ({ status: 'ok', cause: 'OK', summary, evidence });

const RANK: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };

/** The worse of the statuses given ('ok' for none). */
export function worst(statuses: Iterable<CheckStatus>): CheckStatus {
  let out: CheckStatus = 'ok';
  for (const s of statuses) if (RANK[s] > RANK[out]) out = s;
  return out;
}

export function statusRank(s: CheckStatus): number {
  return RANK[s];
}

/** The run's overall deadline: each step gets its own budget, capped by what is left. */
export class Deadline {
  constructor(readonly at: number) {}

  static in(ms: number): Deadline {
    return new Deadline(Date.now() + ms);
  }

  budget(stepMs: number): number {
    return Math.max(0, Math.min(stepMs, this.at - Date.now()));
  }
}

/** Resolves with the promise's value, or with `onTimeout()` after `ms`; the timer never outlives it. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Milliseconds since `started` (a performance.now() reading), rounded. */
export function since(started: number): number {
  return Math.round(performance.now() - started);
}

/** A duration in words: 850 ms, 4.2 s, 3 min, 2 h 5 min. */
export function humanMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** "1 request", "2 requests": a count with its noun (regular plurals only). */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The Node error code of an error (or of its cause), if any. */
export function errorCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
