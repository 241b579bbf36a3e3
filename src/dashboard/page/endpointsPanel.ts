// Per endpoint of the shown cluster: requests per minute, success share, TTFB p50/p95, health bands, and a table of where each stands now.

import type { EndpointHistory, SnapshotEndpoint } from '../feed';
import { BandChart, LineChart } from './charts';
import { fill, h } from './dom';
import * as fmt from './format';
import { DashboardModel, perMinute, shownCluster, shownHistory, successShare } from './model';
import { stateBands } from './stateBands';
import { ChartTheme, seriesColors, stateColor } from './theme';

const HEALTH_LEGEND = [
  { state: 'healthy', label: 'healthy' },
  { state: 'degraded', label: 'degraded' },
  { state: 'unhealthy', label: 'unhealthy' },
  { state: 'open', label: 'open (ejected)' },
];

export function statePill(state: string, detail = ''): HTMLElement {
  return h('span', { class: `pill state-${state}` }, state, detail ? h('span', { class: 'pill-detail' }, ` ${detail}`) : null);
}

export class EndpointsPanel {
  readonly root: HTMLElement;
  private readonly rpm = new LineChart('Requests / min', 'attempts served, trailing minute');
  private readonly success = new LineChart('Success', 'attempts answered, trailing minute');
  private readonly ttfb = new LineChart('Time to first byte', 'p50 solid, p95 dashed');
  private readonly health = new BandChart('Health', 'state over time', HEALTH_LEGEND);
  private readonly table = h('tbody');

  constructor() {
    this.root = h(
      'section',
      { class: 'endpoints card', 'aria-label': 'Endpoints' },
      h('h2', {}, 'Endpoints'),
      h('div', { class: 'chart-grid' }, this.rpm.root, this.success.root, this.ttfb.root),
      this.health.root,
      h('table', { class: 'data-table' }, h('thead', {}, h('tr', {}, ...['endpoint', 'state', 'req / min (range avg)', 'success (range)', 'TTFB p50', 'p95', 'in flight', 'last error'].map((c) => h('th', { scope: 'col' }, c)))), this.table),
    );
  }

  render(m: DashboardModel, theme: ChartTheme): void {
    const v = shownHistory(m);
    const live = shownCluster(m)?.endpoints ?? [];
    const names = [...live.map((e) => e.name), ...(v?.endpoints ?? []).map((e) => e.name).filter((n) => !live.some((e) => e.name === n))];
    const colors = seriesColors();
    const color = (i: number) => colors[i % colors.length];
    const dash = (i: number) => (i >= colors.length ? [2, 3] : undefined);
    const byName = new Map((v?.endpoints ?? []).map((e) => [e.name, e]));
    const times = v?.times ?? [];
    const blank = times.map(() => null);
    const hist = (name: string): EndpointHistory | undefined => byName.get(name);

    const now = Date.now();
    this.rpm.update({ times, format: fmt.rate, series: names.map((n, i) => ({ label: n, color: color(i), dash: dash(i), values: hist(n) ? perMinute(hist(n)!.requests, times, v!.bucketMs, now) : blank })) }, theme);
    this.success.update({ times, format: (x) => `${Math.round(x)}%`, yRange: [0, 100], spanGaps: true, series: names.map((n, i) => ({ label: n, color: color(i), dash: dash(i), values: hist(n) ? successShare(hist(n)!.requests, hist(n)!.failures, v!.bucketMs) : blank })) }, theme);
    this.ttfb.update(
      {
        times,
        format: fmt.ms,
        log: true,
        spanGaps: true,
        series: names.flatMap((n, i) => [
          { label: `${n} p50`, color: color(i), values: hist(n)?.ttfbP50 ?? blank },
          { label: `${n} p95`, color: color(i), dash: [4, 3], values: hist(n)?.ttfbP95 ?? blank },
        ]),
      },
      theme,
    );
    const end = v ? Math.min(now, times[times.length - 1] + v.bucketMs) : now;
    this.health.update(
      {
        times,
        color: stateColor,
        rows: names.map((n) => {
          const h = hist(n);
          // No event at all (a history written before starting states were kept): its present state, as far as anyone knows.
          const initial = h && h.states.at.length === 0 ? (live.find((e) => e.name === n)?.state ?? 'healthy') : null;
          return { label: n, ...(h && v ? stateBands(h.states, v.start, end, initial) : { bands: [], marks: [] }) };
        }),
      },
      theme,
    );
    fill(this.table, ...names.map((n, i) => this.row(n, color(i), live.find((e) => e.name === n), hist(n), v ? (v.times.length * v.bucketMs) / 60_000 : 1)));
    if (names.length === 0) fill(this.table, h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No endpoints in this cluster yet.')));
  }

  resize(): void {
    for (const c of [this.rpm, this.success, this.ttfb, this.health]) c.resize();
  }

  destroy(): void {
    for (const c of [this.rpm, this.success, this.ttfb, this.health]) c.destroy();
  }

  private row(name: string, color: string, live: SnapshotEndpoint | undefined, hist: EndpointHistory | undefined, minutes: number): HTMLElement {
    const swatch = h('i', { class: 'swatch' });
    swatch.style.background = color;
    const t = hist?.totals;
    const state = live?.disabled ? 'disabled' : (live?.state ?? 'unknown');
    const probe = live?.state === 'open' && live.nextProbeAt ? (live.nextProbeAt > Date.now() ? `probe in ${fmt.span(live.nextProbeAt - Date.now())}` : 'probe due') : '';
    const err = live?.lastError;
    return h(
      'tr',
      {},
      h('td', { title: live?.baseUrl }, swatch, name),
      h('td', {}, statePill(state, probe)),
      h('td', { class: 'num' }, t ? fmt.rate(t.requests / minutes) : '—'),
      h('td', { class: 'num' }, t ? fmt.share(t.requests - t.failures, t.requests) : '—'),
      h('td', { class: 'num' }, fmt.ms(t?.ttfbP50)),
      h('td', { class: 'num' }, fmt.ms(t?.ttfbP95)),
      h('td', { class: 'num' }, live?.inFlight !== undefined ? String(live.inFlight) : '—'),
      h('td', { class: 'last-error', title: err ? `${err.cause}: ${err.message}` : undefined }, err ? h('span', {}, h('code', {}, err.cause), ` ${fmt.span(Date.now() - err.at)} ago · ${err.message}`) : h('span', { class: 'muted' }, 'none')),
    );
  }
}
