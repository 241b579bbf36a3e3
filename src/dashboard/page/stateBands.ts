// Turns a series' state events into the bands and marks a band chart draws over a time range.

import type { StateEvents } from '../../core/history';
import type { Band, Mark } from './charts';

const EXPIRING = new Set(['cooling', 'invalid']);

/**
 * Bands from `start` to `end`: before the first event the state is `initial`, or unknown (no band) when
 * that is null — the history records each target's starting state, so there is nothing to draw before it. A key's cooling or invalid state ends by
 * itself at its `until` (no event marks that), an endpoint's open circuit only with the next change.
 */
export function stateBands(s: StateEvents, start: number, end: number, initial: string | null): { bands: Band[]; marks: Mark[] } {
  const bands: Band[] = [];
  const marks: Mark[] = [];
  let state: string | null = initial;
  let from = start;
  let until: number | null = null;
  const close = (to: number) => {
    const stop = Math.min(to, end);
    if (state !== null && EXPIRING.has(state) && until !== null && until < stop) {
      if (until > from) bands.push({ from, to: until, state });
      if (stop > Math.max(from, until)) bands.push({ from: Math.max(from, until), to: stop, state: 'ok' });
    } else if (state !== null && stop > from) {
      bands.push({ from, to: stop, state });
    }
  };
  for (let i = 0; i < s.at.length; i++) {
    const at = s.at[i];
    const kind = s.state[i];
    if (kind === 'probe') {
      if (at >= start && at <= end) marks.push({ at, kind: s.cause[i] === 'OK' ? 'probe-ok' : 'probe-failed', title: `probe ${s.cause[i] === 'OK' ? 'ok' : `failed (${s.cause[i] ?? 'error'})`}` });
      continue;
    }
    if (at > from) close(at);
    state = kind;
    until = s.until[i];
    from = Math.max(at, start);
    if (kind === 'open' && at >= start && at <= end) marks.push({ at, kind: 'ejection', title: `ejected${s.cause[i] ? ` (${s.cause[i]})` : ''}` });
  }
  close(end);
  return { bands, marks };
}
