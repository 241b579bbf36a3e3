// Plain-text wording shared by the tree, the status bar, pickers and diagnostics (no `vscode` import, so it is unit-testable).

import type { ClusterStats, EndpointStats, KeyStats } from '../core/stats';
import { cacheHitShare, UsageTotals } from '../core/usageLedger';
import type { EndpointState } from '../core/health';
import { causeLabel } from '../core/outcomes';

/** `420 ms`, `4.2 s`, `3 min`, `2 h`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** Whole seconds left until `until`, never negative: `42 s`, `3 min`. */
export function formatCountdown(until: number, now = Date.now()): string {
  const s = Math.max(0, Math.ceil((until - now) / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** `12 s ago`, `3 min ago`. */
export function formatAgo(at: number, now = Date.now()): string {
  return `${formatMs(Math.max(0, now - at))} ago`;
}

/** The local wall-clock time of `at` (`12:14:32 AM` in en-US): unlike "in 28 s", it is still true when read later. */
export function formatClock(at: number): string {
  return new Date(at).toLocaleTimeString();
}

export function formatPercent(rate: number): string {
  const p = rate * 100;
  return `${p >= 99.5 || p < 1 ? Math.round(p) : Math.floor(p)}%`;
}

/** An open circuit's probe in words that stay true: `probe at 12:14:32 AM`, or, once due, `probe on the next request` (no probe runs without one). */
export function probeWhen(nextProbeAt: number, now = Date.now()): string {
  return nextProbeAt > now ? `probe at ${formatClock(nextProbeAt)}` : 'probe on the next request';
}

/** The same for a tooltip read now: `next probe in 28 s (at 12:14:32 AM)`. */
export function probeWhenNow(nextProbeAt: number, now = Date.now()): string {
  return nextProbeAt > now
    ? `next probe in ${formatCountdown(nextProbeAt, now)} (at ${formatClock(nextProbeAt)})`
    : 'the probe is due: the next new request (not a turn of a conversation kept on another endpoint) tries it once, and goes on to another endpoint if it fails';
}

/**
 * The endpoint's one-line tree description: `99% of 240 attempts · 420 ms · 2 in flight` (attempts: a
 * request retried on it three times counts three). Nothing in it counts
 * down, so an idle tree has nothing to redraw (a redraw closes an open hover).
 */
export function endpointDescription(e: EndpointStats, live: boolean, now = Date.now()): string {
  if (e.disabled) return 'disabled';
  if (!live) return 'proxy not running';
  const parts: string[] = [];
  if (e.successOf > 0) parts.push(`${formatPercent(e.successRate)} of ${plural(e.successOf, 'attempt')}`);
  if (e.latencyMs !== null) parts.push(formatMs(e.latencyMs));
  if (e.inFlight > 0) parts.push(`${e.inFlight} in flight`);
  if (e.state === 'open' && e.nextProbeAt !== null) parts.push(probeWhen(e.nextProbeAt, now));
  if (parts.length === 0) parts.push(e.state === 'healthy' ? 'no requests yet' : e.state);
  return parts.join(' · ');
}

/** The next moment a description changes by the clock alone (a probe falls due, a cooldown ends); undefined when none. */
export function nextClockChange(clusters: readonly Pick<ClusterStats, 'endpoints'>[], now = Date.now()): number | undefined {
  let next: number | undefined;
  const consider = (at: number | null) => {
    if (at !== null && at > now && (next === undefined || at < next)) next = at;
  };
  for (const c of clusters) {
    for (const e of c.endpoints) {
      if (e.state === 'open') consider(e.nextProbeAt);
      for (const k of e.keys) if (k.state === 'cooling') consider(k.cooldownUntil);
    }
  }
  return next;
}

export const STATE_LABELS: Record<EndpointState, string> = {
  healthy: 'healthy',
  degraded: 'degraded',
  unhealthy: 'unhealthy',
  open: 'open (ejected)',
};

/** `ok`, `cooling until 12:15:02 AM`, `invalid`; a cooldown that has run out reads `ok` (the next snapshot will agree). */
export function keyDescription(k: KeyStats, now = Date.now()): string {
  if (k.state === 'cooling') {
    if (k.cooldownUntil === null) return 'cooling';
    return k.cooldownUntil > now ? `cooling until ${formatClock(k.cooldownUntil)}` : 'ok';
  }
  return k.state;
}

/** The same for a tooltip read now: `cooling for 42 s more (until 12:15:02 AM)`. */
export function keyDescriptionNow(k: KeyStats, now = Date.now()): string {
  if (k.state === 'cooling' && k.cooldownUntil !== null && k.cooldownUntil > now) return `cooling for ${formatCountdown(k.cooldownUntil, now)} more (until ${formatClock(k.cooldownUntil)})`;
  return keyDescription(k, now);
}

/**
 * A last error as `UPSTREAM_CONNECT (could not connect): message, 12 s ago (12:13:05 AM)` when read at
 * once (a tooltip built as it opens), or `… at 12:13:05 AM` where it may be read much later.
 */
export function describeLastError(err: { cause: string; message: string; at: number }, now: number | 'later' = Date.now()): string {
  const label = causeLabel(err.cause);
  const when = now === 'later' ? `at ${formatClock(err.at)}` : `${formatAgo(err.at, now)} (${formatClock(err.at)})`;
  return `${err.cause}${label !== err.cause ? ` (${label})` : ''}: ${err.message}, ${when}`;
}

export type HealthLevel = 'ok' | 'warning' | 'error';

/** How many endpoints of a cluster are healthy and what colour that deserves. */
export function clusterHealth(c: Pick<ClusterStats, 'endpoints'>): { healthy: number; usable: number; total: number; level: HealthLevel } {
  const enabled = c.endpoints.filter((e) => !e.disabled);
  const healthy = enabled.filter((e) => e.state === 'healthy').length;
  const usable = enabled.filter((e) => e.state === 'healthy' || e.state === 'degraded').length;
  const total = enabled.length;
  const level: HealthLevel = total === 0 || healthy === 0 ? 'error' : healthy < total ? 'warning' : 'ok';
  return { healthy, usable, total, level };
}

export interface ParsedKeys {
  keys: string[];
  /** Entries that are not keys, with why (they never contain the entry itself). */
  rejected: { index: number; reason: string }[];
}

const KEY_MIN = 8;
const KEY_MAX = 512;

/**
 * Splits pasted text into keys: one per line (spaces, commas and semicolons also separate, since a
 * one-line input box joins pasted lines). Surrounding quotes are dropped; duplicates are kept once.
 */
export function parseKeys(text: string): ParsedKeys {
  const entries = text
    .split(/[\s,;]+/)
    .map((t) => t.trim().replace(/^["'`]+|["'`]+$/g, ''))
    .filter((t) => t.length > 0);
  const keys: string[] = [];
  const rejected: ParsedKeys['rejected'] = [];
  entries.forEach((t, index) => {
    if (t.length < KEY_MIN) rejected.push({ index, reason: `entry ${index + 1} is too short to be a key (${t.length} characters)` });
    else if (t.length > KEY_MAX) rejected.push({ index, reason: `entry ${index + 1} is too long to be a key (${t.length} characters)` });
    else if (!/^[\x21-\x7e]+$/.test(t)) rejected.push({ index, reason: `entry ${index + 1} holds characters a key cannot contain` });
    else if (!keys.includes(t)) keys.push(t);
  });
  return { keys, rejected };
}

/** `…a1b2`, the only form in which a key is ever shown. */
export function suffixOf(key: string): string {
  return `…${key.slice(-4)}`;
}

/** `950`, `12.3k`, `4.5M` tokens. */
export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1)}M`;
}

/** `$0.0042`, `$1.23`, `$120`. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  if (usd < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd)}`;
}

/**
 * Usage in one line: `12 requests · 1.2M in · 34k out · 3.4M cache read (82% of the prompt) · 120k cache write · $1.23`.
 * Requests whose usage was not reported, or whose model has no price, are said so: they are not counted as 0.
 */
export function describeUsage(t: UsageTotals): string {
  if (t.requests === 0) return 'no usage reported yet';
  const hit = cacheHitShare(t);
  const parts = [
    plural(t.requests, 'request'),
    `${formatTokens(t.inputTokens)} in`,
    `${formatTokens(t.outputTokens)} out`,
    `${formatTokens(t.cacheReadTokens)} cache read${hit !== null ? ` (${formatPercent(hit)} of the prompt)` : ''}`,
    `${formatTokens(t.cacheWriteTokens)} cache write`,
  ];
  if (t.costUsd !== undefined) parts.push(`${formatUsd(t.costUsd)}${t.unpriced ? ` (+${plural(t.unpriced, 'request')} with no price)` : ''}`);
  else parts.push('no price for its model');
  if (t.unreported) parts.push(`${plural(t.unreported, 'request')} with usage not (fully) reported`);
  return parts.join(' · ');
}

/** `1 request`, `3 requests`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
