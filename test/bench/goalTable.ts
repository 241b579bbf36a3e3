// The headline table: direct, the naive Node pipe and Switchyard side by side against Switchyard's goals, as Markdown.

import { MemoryFigures } from './memoryPhase';
import { Check, mb, TargetFigures } from './report';

const MB = 1024 * 1024;

export const GOALS = {
  /** Switchyard's req/s at least this multiple of the naive pipe's. */
  reqPerSecOverPipe: 1.25,
  /** First SSE event at most this much later than direct. */
  firstEventAddedMs: 0.5,
  rssIdleBytes: 50 * MB,
  rssStreamsBytes: 80 * MB,
};

export interface GoalInputs {
  direct: TargetFigures;
  pipe: TargetFigures;
  switchyard: TargetFigures;
  pipeMemory: MemoryFigures;
  switchyardMemory: MemoryFigures;
  connections: number;
  streams: number;
}

const signedMs = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} ms` : '—');
const mark = (ok: boolean) => (ok ? '✓' : '✗');

/** The four goals as checks (for the targets list and the JSON). */
export function goalChecks(g: GoalInputs): Check[] {
  const ratio = g.switchyard.reqPerSec / g.pipe.reqPerSec;
  const added = g.switchyard.firstEventMs - g.direct.firstEventMs;
  const s = g.switchyardMemory;
  return [
    { name: `goal: req/s switchyard ÷ naive pipe at ${g.connections} connections`, figure: `${ratio.toFixed(2)}×`, target: `≥ ${GOALS.reqPerSecOverPipe}×`, ok: ratio >= GOALS.reqPerSecOverPipe },
    { name: 'goal: first SSE event, switchyard over direct', figure: signedMs(added), target: `≤ +${GOALS.firstEventAddedMs} ms`, ok: added <= GOALS.firstEventAddedMs },
    { name: 'goal: switchyard RSS idle', figure: mb(s.rssIdleBytes), target: `≤ ${mb(GOALS.rssIdleBytes)}`, ok: s.rssIdleBytes <= GOALS.rssIdleBytes },
    {
      name: `goal: switchyard RSS with ${g.streams} open streams`,
      figure: mb(s.streams.rssBytes),
      target: `≤ ${mb(GOALS.rssStreamsBytes)}, all ${g.streams} open`,
      ok: s.streams.rssBytes <= GOALS.rssStreamsBytes && s.streams.opened === g.streams,
    },
  ];
}

function markdown(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

export function goalTable(g: GoalInputs): string {
  const [rps, first, idle, streams] = goalChecks(g);
  const ratio = g.switchyard.reqPerSec / g.pipe.reqPerSec;
  return markdown([
    ['figure', 'direct', 'naive Node pipe', 'Switchyard', 'Switchyard ÷ pipe', 'goal'],
    [`req/s, small non-streaming POSTs, ${g.connections} connections`, g.direct.reqPerSec.toFixed(0), g.pipe.reqPerSec.toFixed(0), g.switchyard.reqPerSec.toFixed(0), `${ratio.toFixed(2)}×`, `${mark(rps.ok)} ≥ ${GOALS.reqPerSecOverPipe}× the pipe`],
    ['first SSE event, over direct', '—', signedMs(g.pipe.firstEventMs - g.direct.firstEventMs), signedMs(g.switchyard.firstEventMs - g.direct.firstEventMs), '', `${mark(first.ok)} ≤ +${GOALS.firstEventAddedMs} ms`],
    ['RSS idle', '—', mb(g.pipeMemory.rssIdleBytes), mb(g.switchyardMemory.rssIdleBytes), '', `${mark(idle.ok)} ≤ ${mb(GOALS.rssIdleBytes)}`],
    [`RSS with ${g.streams} open streams`, '—', mb(g.pipeMemory.streams.rssBytes), mb(g.switchyardMemory.streams.rssBytes), '', `${mark(streams.ok)} ≤ ${mb(GOALS.rssStreamsBytes)}`],
  ]);
}
