// Applies a history delta (`TrafficHistory.latest()`) to the view a page holds; pure, no DOM, shared by the page and its tests.

import type { EndpointHistory, HistoryView, KeyHistory, SeriesColumns, StateEvents } from '../core/history';

const PROBE = 'probe';

/** Keeps the events from `start` on, plus the last state change before it (the state the range starts in). */
function trimStates(s: StateEvents, start: number, before: number): StateEvents {
  let last = -1;
  const keep: number[] = [];
  for (let i = 0; i < s.at.length; i++) {
    if (s.at[i] >= before) continue;
    if (s.at[i] >= start) keep.push(i);
    else if (s.state[i] !== PROBE) last = i;
  }
  if (last !== -1) keep.unshift(last);
  return { at: keep.map((i) => s.at[i]), state: keep.map((i) => s.state[i]), cause: keep.map((i) => s.cause[i]), until: keep.map((i) => s.until[i]) };
}

function concatStates(a: StateEvents, b: StateEvents): StateEvents {
  return { at: [...a.at, ...b.at], state: [...a.state, ...b.state], cause: [...a.cause, ...b.cause], until: [...a.until, ...b.until] };
}

const EMPTY_STATES: StateEvents = { at: [], state: [], cause: [], until: [] };

/** `held`'s columns for buckets [skip, skip + keep), zeros when the series is new, then `next`'s. */
function mergeColumns(held: SeriesColumns | undefined, next: SeriesColumns, skip: number, keep: number): SeriesColumns {
  const part = <T>(col: T[] | undefined, fill: T): T[] => (col ? col.slice(skip, skip + keep) : new Array<T>(keep).fill(fill));
  const out: SeriesColumns = {
    requests: [...part(held?.requests, 0), ...next.requests],
    failures: [...part(held?.failures, 0), ...next.failures],
    tokens: [...part(held?.tokens, 0), ...next.tokens],
    totals: next.totals,
  };
  if (next.ttfbP50) out.ttfbP50 = [...part(held?.ttfbP50, null), ...next.ttfbP50];
  if (next.ttfbP95) out.ttfbP95 = [...part(held?.ttfbP95, null), ...next.ttfbP95];
  return out;
}

/**
 * The view after `incoming`: a full view replaces what is held (so does anything for another range or
 * cluster); a delta replaces the held buckets from its first time on and drops those before its `start`.
 */
export function mergeHistory(held: HistoryView | undefined, incoming: HistoryView): HistoryView {
  if (incoming.kind === 'full' || !held || held.range !== incoming.range || held.cluster !== incoming.cluster || held.bucketMs !== incoming.bucketMs) return incoming;
  const from = incoming.times[0] ?? Infinity;
  let skip = 0;
  while (skip < held.times.length && held.times[skip] < incoming.start) skip++;
  let keep = 0;
  while (skip + keep < held.times.length && held.times[skip + keep] < from) keep++;
  const heldEndpoints = new Map(held.endpoints.map((e) => [e.name, e]));
  const heldKeys = new Map(held.keys.map((k) => [`${k.endpoint}\n${k.key}`, k]));
  const endpoints = incoming.endpoints.map((e): EndpointHistory => {
    const h = heldEndpoints.get(e.name);
    return { name: e.name, ...mergeColumns(h, e, skip, keep), states: concatStates(trimStates(h?.states ?? EMPTY_STATES, incoming.start, from), e.states) };
  });
  const keys = incoming.keys.map((k): KeyHistory => {
    const h = heldKeys.get(`${k.endpoint}\n${k.key}`);
    return { endpoint: k.endpoint, key: k.key, ...mergeColumns(h, k, skip, keep), states: concatStates(trimStates(h?.states ?? EMPTY_STATES, incoming.start, from), k.states) };
  });
  return {
    ...incoming,
    kind: 'full',
    times: [...held.times.slice(skip, skip + keep), ...incoming.times],
    total: mergeColumns(held.total, incoming.total, skip, keep),
    endpoints,
    keys,
  };
}
