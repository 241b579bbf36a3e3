// Per key of the shown cluster: tokens per minute, ok / cooling / invalid bands, and a table of requests, tokens, cache hits and cost.

import type { KeyHistory, SnapshotKey } from '../feed';
import { BandChart, LineChart } from './charts';
import { fill, h } from './dom';
import { statePill } from './endpointsPanel';
import * as fmt from './format';
import { DashboardModel, perMinute, shownCluster, shownHistory } from './model';
import { stateBands } from './stateBands';
import { ChartTheme, seriesColors, stateColor } from './theme';

const KEY_LEGEND = [
  { state: 'ok', label: 'ok' },
  { state: 'cooling', label: 'cooling (rate limited)' },
  { state: 'invalid', label: 'invalid (401/403)' },
];

interface KeyRow {
  endpoint: string;
  key: string;
  live?: SnapshotKey;
  hist?: KeyHistory;
}

export class KeysPanel {
  readonly root: HTMLElement;
  private readonly tokens = new LineChart('Tokens / min', 'prompt, cache and output tokens per key, trailing minute');
  private readonly states = new BandChart('Key state', 'cooldowns and invalid periods', KEY_LEGEND);
  private readonly table = h('tbody');
  private readonly empty = h('p', { class: 'muted', hidden: true }, 'No keys: the endpoints of this cluster pass the client’s own key through.');

  constructor() {
    this.root = h(
      'section',
      { class: 'keys card', 'aria-label': 'Keys' },
      h('h2', {}, 'Keys'),
      this.empty,
      this.tokens.root,
      this.states.root,
      h('table', { class: 'data-table' }, h('thead', {}, h('tr', {}, ...['key', 'endpoint', 'state', 'requests', 'input', 'output', 'cache read', 'cache write', 'cache hits', 'cost'].map((c) => h('th', { scope: 'col' }, c)))), this.table),
    );
  }

  render(m: DashboardModel, theme: ChartTheme): void {
    const v = shownHistory(m);
    const rows: KeyRow[] = [];
    for (const e of shownCluster(m)?.endpoints ?? []) for (const k of e.keys) rows.push({ endpoint: e.name, key: k.suffix, live: k });
    for (const k of v?.keys ?? []) {
      const row = rows.find((r) => r.endpoint === k.endpoint && r.key === k.key);
      if (row) row.hist = k;
      else rows.push({ endpoint: k.endpoint, key: k.key, hist: k });
    }
    this.empty.hidden = rows.length > 0;
    for (const el of [this.tokens.root, this.states.root, this.table.parentElement!]) el.hidden = rows.length === 0;
    if (rows.length === 0) return;
    const colors = seriesColors();
    const times = v?.times ?? [];
    const blank = times.map(() => null);
    const label = (r: KeyRow) => `${r.endpoint} ${r.key}`;
    this.tokens.update({ times, format: fmt.count, series: rows.map((r, i) => ({ label: label(r), color: colors[i % colors.length], dash: i >= colors.length ? [2, 3] : undefined, values: r.hist && v ? perMinute(r.hist.tokens, times, v.bucketMs, Date.now()) : blank })) }, theme);
    const end = v ? Math.min(Date.now(), times[times.length - 1] + v.bucketMs) : Date.now();
    this.states.update({ times, color: stateColor, rows: rows.map((r) => ({ label: label(r), ...(r.hist && v ? stateBands(r.hist.states, v.start, end, r.hist.states.at.length === 0 ? 'ok' : null) : { bands: [], marks: [] }) })) }, theme);
    fill(this.table, ...rows.map((r, i) => this.row(r, colors[i % colors.length])));
  }

  resize(): void {
    this.tokens.resize();
    this.states.resize();
  }

  destroy(): void {
    this.tokens.destroy();
    this.states.destroy();
  }

  private row(r: KeyRow, color: string): HTMLElement {
    const t = r.hist?.totals;
    const swatch = h('i', { class: 'swatch' });
    swatch.style.background = color;
    const state = r.live?.state ?? 'unknown';
    const left = r.live?.cooldownUntil && r.live.cooldownUntil > Date.now() ? fmt.span(r.live.cooldownUntil - Date.now()) : '';
    const num = (n: number | undefined) => h('td', { class: 'num' }, n === undefined ? '—' : fmt.count(n));
    return h(
      'tr',
      {},
      h('td', {}, swatch, h('code', {}, r.key)),
      h('td', {}, r.endpoint),
      h('td', { title: r.live?.lastError ? `${r.live.lastError.cause}: ${r.live.lastError.message}` : undefined }, statePill(state, left)),
      num(t?.requests),
      num(t?.inputTokens),
      num(t?.outputTokens),
      num(t?.cacheReadTokens),
      num(t?.cacheWriteTokens),
      h('td', { class: 'num' }, t ? fmt.cacheHitShare(t.inputTokens, t.cacheReadTokens, t.cacheWriteTokens) : '—'),
      h('td', { class: 'num' }, fmt.usd(t?.costUsd)),
    );
  }
}
