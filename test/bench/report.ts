// Formats the bench figures as a side-by-side table with ✓/✗ against each target, and writes them as JSON.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { LeakResult } from './leak';
import { MemoryFigures } from './memoryPhase';
import { round } from './stats';

export interface TargetFigures {
  name: string;
  /** Median over rounds of requests/s at the fixed concurrency. */
  reqPerSec: number;
  reqPerSecRounds: number[];
  /** CPU time of the target's own process per request under the throughput load (direct: the upstream's). */
  cpuMicrosPerRequest: number;
  /** Share of one core each process used during the req/s bursts (proxy null for direct). */
  cpuShare: { generator: number; upstream: number; proxy: number | null; others: number; interrupts: number };
  /** Sequential (unloaded) latency over all samples, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Latency under the throughput load, median of the rounds' percentiles, ms. */
  loadedP50Ms: number;
  loadedP99Ms: number;
  /** Median time to the first SSE event, ms. */
  firstEventMs: number;
  firstEventSamples: number;
  errors: number;
}

export interface Check {
  name: string;
  figure: string;
  target: string;
  ok: boolean;
}

export interface BenchReport {
  when: string;
  environment: Record<string, unknown>;
  settings: Record<string, number>;
  targets: TargetFigures[];
  memory: MemoryFigures[];
  leak?: LeakResult;
  checks: Check[];
  ratios: Record<string, number>;
}

const MB = 1024 * 1024;
const pad = (s: string, n: number) => s.padStart(n);
const num = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const signed = (v: number, d = 2) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(d)}` : '—');
export const mb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / MB).toFixed(1)} MB` : '—');

export function latencyTable(targets: TargetFigures[], concurrency: number): string {
  const direct = targets[0];
  const head = 'target'.padEnd(12) + [
    pad('req/s', 9), pad('×direct', 8), pad('CPU µs/req', 11), pad('p50 ms', 8), pad('p99 ms', 8), pad('added p50', 10), pad('added p99', 10),
    pad('first-event ms', 15), pad('added', 7), pad(`p50@c${concurrency}`, 9), pad(`p99@c${concurrency}`, 9), pad('errors', 7),
  ].join('');
  const rows = targets.map((t) => {
    const isDirect = t === direct;
    return t.name.padEnd(12) + [
      pad(num(t.reqPerSec, 0), 9),
      pad(num(t.reqPerSec / direct.reqPerSec), 8),
      pad(num(t.cpuMicrosPerRequest, 0), 11),
      pad(num(t.p50Ms, 3), 8),
      pad(num(t.p99Ms, 3), 8),
      pad(isDirect ? '' : signed(t.p50Ms - direct.p50Ms, 3), 10),
      pad(isDirect ? '' : signed(t.p99Ms - direct.p99Ms, 3), 10),
      pad(num(t.firstEventMs, 3), 15),
      pad(isDirect ? '' : signed(t.firstEventMs - direct.firstEventMs), 7),
      pad(num(t.loadedP50Ms), 9),
      pad(num(t.loadedP99Ms), 9),
      pad(String(t.errors), 7),
    ].join('');
  });
  return [head, ...rows].join('\n');
}

export function streamsTable(memory: MemoryFigures[], streams: number): string {
  const head = 'target'.padEnd(12) + [pad('RSS warm', 10), pad('RSS idle', 10), pad(`RSS @${streams}`, 11), pad('per stream', 11), pad('opened', 11), pad('open s', 8), pad('closed upstream', 17)].join('');
  const rows = memory.map((m) => {
    const s = m.streams;
    return m.name.padEnd(12) + [
      pad(mb(m.rssWarmBytes), 10),
      pad(mb(m.rssIdleBytes), 10),
      pad(mb(s.rssBytes), 11),
      pad(`${num((s.rssBytes - s.rssIdleBytes) / 1024 / Math.max(1, s.opened), 1)} KB`, 11),
      pad(`${s.opened}/${s.streams}`, 11),
      pad(num(s.openSeconds), 8),
      pad(Number.isFinite(s.closedUpstreamMs) ? `in ${num(s.closedUpstreamMs, 0)} ms` : 'NOT within 5 s', 17),
    ].join('');
  });
  return [head, ...rows].join('\n');
}

const SATURATED = 0.9;
/** Busy time charged to none of our processes beyond this share of a core is worth a mention. */
const CONTENDED = 0.15;

/** Which process ran out of CPU during the bursts: whichever used ≥ 90% of a core (Node's JS runs on one). */
function verdict(t: TargetFigures, cores: number): string {
  const c = t.cpuShare;
  const full = [['proxy', c.proxy ?? 0], ['upstream', c.upstream], ['generator', c.generator]].filter(([, v]) => (v as number) >= SATURATED).map(([n]) => n);
  const ours = c.generator + c.upstream + (c.proxy ?? 0);
  const what = full.length > 0 ? `${full.join(' + ')} saturated` : ours + c.interrupts + c.others >= cores * SATURATED ? 'all cores busy, none saturated' : 'none saturated';
  return c.others > CONTENDED ? `${what}; ${Math.round(c.others * 100)}% unattributed (other processes, or tick accounting at high packet rates)` : what;
}

export function cpuTable(targets: TargetFigures[], cores: number): string {
  const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : `${Math.round(v * 100)}%`);
  const head = 'target'.padEnd(12) + [pad('req/s', 9), pad('generator', 10), pad('upstream', 9), pad('proxy', 7), pad('softirq', 8), pad('unattr.', 8)].join('') + '  verdict';
  const rows = targets.map((t) => {
    const c = t.cpuShare;
    return t.name.padEnd(12) + [pad(num(t.reqPerSec, 0), 9), pad(pct(c.generator), 10), pad(pct(c.upstream), 9), pad(pct(c.proxy), 7), pad(pct(c.interrupts), 8), pad(pct(c.others), 8)].join('') + `  ${verdict(t, cores)}`;
  });
  return [head, ...rows].join('\n');
}

export function leakTable(l: LeakResult): string {
  const row = (name: string, b: string, a: string) => `  ${name.padEnd(26)}${pad(b, 12)}${pad(a, 12)}`;
  return [
    `  ${''.padEnd(26)}${pad('before', 12)}${pad('after', 12)}`,
    row('upstreamSockets', String(l.before.upstreamSockets), String(l.after.upstreamSockets)),
    row('heapUsed (after full GC)', mb(l.before.heapUsedBytes), mb(l.after.heapUsedBytes)),
    row('RSS', mb(l.before.rssBytes), mb(l.after.rssBytes)),
    row('open fds (/proc)', String(l.before.openFds), String(l.after.openFds)),
    row('requests in flight', String(l.before.inFlight), String(l.after.inFlight)),
    row('upstream-side connections', String(l.before.upstreamConnections), String(l.after.upstreamConnections)),
    `  run: ${l.run.completed} completed, ${l.run.aborted} aborted by the client, ${l.run.errors} errors, ${num(l.run.seconds, 1)} s; settled in ${num(l.settleMs, 0)} ms`,
  ].join('\n');
}

export function checksText(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name.padEnd(width)}  ${c.figure.padStart(12)}   (target ${c.target})`).join('\n');
}

/** Rounds every number in the report for a readable JSON file. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return round(value, 3);
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

export function writeJson(file: string, report: BenchReport): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(rounded(report), null, 2)}\n`);
}
