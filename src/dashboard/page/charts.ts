// Live time-series charts on uPlot: lines per endpoint or key, and state bands; colours from the theme, rebuilt when it changes.

import uPlot from 'uplot';
import { h } from './dom';
import { ChartTheme } from './theme';

/** Cursor and legend move together across every chart of the page. */
const SYNC_KEY = 'switchyard';
const LINE_HEIGHT = 150;

export interface LineSeries {
  label: string;
  color: string;
  dash?: number[];
  values: (number | null)[];
}

export interface LineChartData {
  times: number[];
  series: LineSeries[];
  /** How values are written on the axis and in the legend. */
  format: (v: number) => string;
  /** Fixed y range (e.g. 0–100 for shares); otherwise from the data, from 0. */
  yRange?: [number, number];
  log?: boolean;
  /** Draw lines across buckets without a value (percentiles of sparse traffic). */
  spanGaps?: boolean;
}

function lastValue(values: ArrayLike<number | null | undefined>): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/** Clock times only: every chart spans hours at most, the date would only take room. */
function timeTicks(_u: uPlot, splits: number[]): string[] {
  return splits.map((t) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
}

/** Ticks at the powers of ten only; uPlot's default puts a grid line at every 2…9 too. */
function decades(_u: uPlot, _axis: number, min: number, max: number): number[] {
  const out: number[] = [];
  for (let p = Math.ceil(Math.log10(min) - 1e-9); Math.pow(10, p) <= max * (1 + 1e-9); p++) out.push(Math.pow(10, p));
  return out;
}

function axes(theme: ChartTheme, yFormat: (v: number) => string, log = false): uPlot.Axis[] {
  const common = { stroke: theme.muted, font: theme.font, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1, size: 4 } };
  return [
    { ...common, space: 70, size: 28, values: timeTicks },
    { ...common, size: 56, splits: log ? decades : undefined, values: (_u: uPlot, splits: number[]) => splits.map((v) => (v === null ? '' : yFormat(v))) },
  ];
}

/** A line chart whose legend shows the value under the cursor, or the latest one when the cursor is elsewhere. */
export class LineChart {
  readonly root: HTMLElement;
  private plot: uPlot | undefined;
  private shape = '';

  constructor(readonly title: string, describe: string) {
    this.root = h('figure', { class: 'chart', 'data-chart': title }, h('figcaption', {}, title, h('span', { class: 'hint' }, describe)));
  }

  update(data: LineChartData, theme: ChartTheme): void {
    const shape = JSON.stringify([data.series.map((s) => [s.label, s.color, s.dash]), data.yRange, data.log, data.spanGaps, theme.version]);
    const aligned: uPlot.AlignedData = [data.times, ...data.series.map((s) => s.values)];
    if (this.plot && shape === this.shape) {
      this.plot.setData(aligned);
      return;
    }
    this.plot?.destroy();
    this.shape = shape;
    const width = this.width();
    const format = data.format;
    const opts: uPlot.Options = {
      width,
      height: LINE_HEIGHT,
      ms: 1,
      cursor: { sync: { key: SYNC_KEY }, drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
      legend: { live: true },
      scales: {
        x: { time: true },
        y: data.log
          ? { distr: 3, log: 10, range: (_u, min, max) => logRange(min, max) }
          : { range: data.yRange ?? ((_u, _min, max) => [0, niceMax(max)]) },
      },
      axes: axes(theme, format, data.log),
      series: [
        { value: (_u, v) => (v === null ? 'now' : new Date(v).toLocaleTimeString()) },
        ...data.series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            width: theme.highContrast ? 2 : 1.5,
            dash: s.dash,
            points: { show: false },
            spanGaps: data.spanGaps === true,
            value: (u, v, sidx, idx) => {
              const shown = idx === null ? lastValue(u.data[sidx]) : v;
              return shown === null || shown === undefined ? '—' : format(shown);
            },
          }),
        ),
      ],
    };
    this.plot = new uPlot(opts, aligned, this.root);
  }

  resize(): void {
    this.plot?.setSize({ width: this.width(), height: LINE_HEIGHT });
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.shape = '';
  }

  private width(): number {
    return Math.max(240, this.root.clientWidth || this.root.parentElement?.clientWidth || 600);
  }
}

function niceMax(max: number | null): number {
  if (max === null || !(max > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(max)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max * 1.05) return m * p;
  return 10 * p;
}

function logRange(min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null || !(min > 0) || !(max > 0)) return [10, 1000];
  const lo = Math.pow(10, Math.floor(Math.log10(min)));
  const hi = Math.pow(10, Math.ceil(Math.log10(max)));
  return [lo, hi === lo ? hi * 10 : hi];
}

/** One stretch of a row's state. */
export interface Band {
  from: number;
  to: number;
  state: string;
}

/** A point mark on a row: an ejection or a probe. */
export interface Mark {
  at: number;
  kind: 'ejection' | 'probe-ok' | 'probe-failed';
  title: string;
}

export interface BandRow {
  label: string;
  bands: Band[];
  marks: Mark[];
}

export interface BandChartData {
  times: number[];
  rows: BandRow[];
  color: (state: string) => string;
}

const ROW_HEIGHT = 24;
const BAND_GAP = 6;
const BAND_ALPHA: Record<string, number> = { healthy: 0.45, ok: 0.45, degraded: 0.8, cooling: 0.8 };
/** The x axis under the rows. */
const AXIS_HEIGHT = 36;

/**
 * Rows of coloured state bands over the shared time axis (one row per endpoint or key), drawn on uPlot's
 * canvas in its draw hook, with ejections (▼) and probes (● ok, ○ failed) marked. Under it a line tells
 * each row's state at the cursor.
 */
export class BandChart {
  readonly root: HTMLElement;
  private readonly readout: HTMLElement;
  private plot: uPlot | undefined;
  private shape = '';
  private data: BandChartData = { times: [], rows: [], color: () => '' };
  private theme: ChartTheme | undefined;

  constructor(readonly title: string, describe: string, private readonly legend: { state: string; label: string }[]) {
    this.readout = h('div', { class: 'band-readout', 'aria-live': 'off' });
    this.root = h('figure', { class: 'chart band-chart', 'data-chart': title }, h('figcaption', {}, title, h('span', { class: 'hint' }, describe)));
  }

  update(data: BandChartData, theme: ChartTheme): void {
    this.data = data;
    this.theme = theme;
    const shape = JSON.stringify([data.rows.map((r) => r.label), theme.version]);
    const aligned: uPlot.AlignedData = [data.times, data.times.map(() => null)];
    if (this.plot && shape === this.shape) {
      this.plot.setData(aligned);
      this.showReadout(this.plot);
      return;
    }
    this.plot?.destroy();
    this.root.querySelector('.band-legend')?.remove();
    this.readout.remove();
    this.shape = shape;
    const rows = data.rows.length;
    const labelWidth = Math.min(160, 16 + 7 * Math.max(4, ...data.rows.map((r) => r.label.length)));
    const opts: uPlot.Options = {
      width: this.width(),
      height: Math.max(1, rows) * ROW_HEIGHT + AXIS_HEIGHT,
      ms: 1,
      cursor: { sync: { key: SYNC_KEY }, y: false, drag: { x: false, y: false, setScale: false }, points: { show: false } },
      legend: { show: false },
      scales: { x: { time: true }, y: { auto: false, range: [0, Math.max(1, rows)] } },
      axes: [
        axes(theme, String)[0],
        {
          scale: 'y',
          stroke: theme.foreground,
          font: theme.font,
          size: labelWidth,
          grid: { show: false },
          ticks: { show: false },
          splits: () => data.rows.map((_r, i) => rows - i - 0.5),
          values: () => this.data.rows.map((r) => r.label),
        },
      ],
      series: [{}, { scale: 'y', show: true, points: { show: false } }],
      hooks: {
        draw: [(u) => this.draw(u)],
        setCursor: [(u) => this.showReadout(u)],
      },
    };
    this.plot = new uPlot(opts, aligned, this.root);
    const legend = h('div', { class: 'band-legend' });
    for (const l of this.legend) {
      const swatch = h('i', { class: 'swatch' });
      const c = data.color(l.state);
      swatch.style.background = l.state === 'unhealthy' ? `repeating-linear-gradient(135deg, ${c} 0 3px, ${theme.background} 3px 5px)` : c;
      swatch.style.opacity = String(BAND_ALPHA[l.state] ?? 0.9);
      legend.append(h('span', { class: 'swatch-label' }, swatch, l.label));
    }
    legend.append(h('span', { class: 'swatch-label' }, '▼ ejected'), h('span', { class: 'swatch-label' }, '● probe ok'), h('span', { class: 'swatch-label' }, '○ probe failed'));
    this.root.append(this.readout, legend);
    this.showReadout(this.plot);
  }

  resize(): void {
    const rows = this.data.rows.length;
    this.plot?.setSize({ width: this.width(), height: Math.max(1, rows) * ROW_HEIGHT + AXIS_HEIGHT });
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.shape = '';
  }

  private width(): number {
    return Math.max(240, this.root.clientWidth || this.root.parentElement?.clientWidth || 600);
  }

  private draw(u: uPlot): void {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const rows = this.data.rows.length;
    if (rows === 0) return;
    const px = devicePixelRatio || 1;
    const rowH = height / rows;
    const gap = BAND_GAP * px;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    this.data.rows.forEach((row, i) => {
      const y = top + i * rowH + gap / 2;
      const hgt = rowH - gap;
      for (const b of row.bands) {
        const x0 = Math.max(left, u.valToPos(b.from, 'x', true));
        const x1 = Math.min(left + width, u.valToPos(b.to, 'x', true));
        if (x1 <= x0) continue;
        ctx.fillStyle = this.data.color(b.state);
        // Quiet when all is well, loud when not.
        ctx.globalAlpha = BAND_ALPHA[b.state] ?? 0.9;
        ctx.fillRect(x0, y, Math.max(px, x1 - x0), hgt);
        // Unhealthy is hatched, so it tells from degraded without telling orange from yellow.
        if (b.state === 'unhealthy') this.hatch(ctx, x0, y, x1 - x0, hgt, px);
      }
      ctx.globalAlpha = 1;
      for (const m of row.marks) {
        const x = u.valToPos(m.at, 'x', true);
        if (x < left || x > left + width) continue;
        const fg = this.theme?.foreground ?? '#000';
        const bg = this.theme?.background ?? '#fff';
        ctx.lineWidth = 1.5 * px;
        if (m.kind === 'ejection') {
          ctx.fillStyle = fg;
          ctx.strokeStyle = bg;
          ctx.beginPath();
          ctx.moveTo(x - 6 * px, y - 1 * px);
          ctx.lineTo(x + 6 * px, y - 1 * px);
          ctx.lineTo(x, y + 8 * px);
          ctx.closePath();
          ctx.stroke();
          ctx.fill();
        } else {
          // ● a probe that closed the circuit, ○ one that failed: both ringed so they show on any band.
          ctx.beginPath();
          ctx.arc(x, y + hgt / 2, 5 * px, 0, 2 * Math.PI);
          ctx.fillStyle = m.kind === 'probe-ok' ? fg : bg;
          ctx.strokeStyle = m.kind === 'probe-ok' ? bg : fg;
          ctx.fill();
          ctx.stroke();
        }
      }
    });
    ctx.restore();
  }

  private hatch(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, hgt: number, px: number): void {
    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, w, hgt);
    ctx.clip();
    ctx.globalAlpha = 0.55;
    ctx.strokeStyle = this.theme?.background ?? '#fff';
    ctx.lineWidth = 2 * px;
    ctx.beginPath();
    for (let sx = x - hgt; sx < x + w; sx += 7 * px) {
      ctx.moveTo(sx, y + hgt);
      ctx.lineTo(sx + hgt, y);
    }
    ctx.stroke();
    ctx.restore();
  }

  /** "12:03:40 — down: open · fast: healthy" for the time under the cursor; the states now otherwise. */
  private showReadout(u: uPlot): void {
    const left = u.cursor.left;
    const at = left !== undefined && left >= 0 ? u.posToVal(left, 'x') : undefined;
    const when = at === undefined ? Date.now() : at;
    const parts = this.data.rows.map((r) => {
      const band = r.bands.find((b) => b.from <= when && when < b.to) ?? (at === undefined ? r.bands.at(-1) : undefined);
      return `${r.label}: ${band ? band.state : '—'}`;
    });
    this.readout.textContent = `${at === undefined ? 'now' : new Date(at).toLocaleTimeString()} — ${parts.join(' · ') || 'nothing yet'}`;
  }
}
