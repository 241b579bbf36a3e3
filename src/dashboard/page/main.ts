// The dashboard page's entry: picks the feed for its host, lays out the sections for its mode, and draws at most once a frame while visible.

import type { HistoryRange, HostMessage, RequestFilter } from '../feed';
import { mergeHistory } from '../historyMerge';
import { isRequestFilter } from '../requestFilter';
import './page.css';
import { append, fill, h } from './dom';
import { EndpointsPanel } from './endpointsPanel';
import { KeyForm } from './keyForm';
import { KeysPanel } from './keysPanel';
import { DashboardModel, isActive, shownClusterName } from './model';
import { Feed, FeedStatus, PageState } from './pageFeed';
import { RequestTable } from './requestTable';
import { sseFeed } from './sseFeed';
import { Summary } from './summary';
import { chartTheme, themeSwitch, watchTheme } from './theme';
import { vscodeFeed } from './vscodeFeed';

const RANGES: { range: HistoryRange; label: string }[] = [
  { range: '15m', label: '15 min' },
  { range: '1h', label: '1 h' },
  { range: '6h', label: '6 h' },
];

const root = document.documentElement;
const inVsCode = root.dataset.host === 'vscode';
const mode = root.dataset.mode === 'requests' ? 'requests' : 'dashboard';
const keyForm = new KeyForm();
const feed: Feed = inVsCode ? vscodeFeed() : sseFeed(keyForm);

const restored = feed.restoreState() ?? {};
const state: PageState = {
  range: RANGES.some((r) => r.range === restored.range) ? restored.range! : '15m',
  cluster: typeof restored.cluster === 'string' ? restored.cluster : null,
  filter: isRequestFilter(restored.filter) ? restored.filter : 'all',
  text: typeof restored.text === 'string' ? restored.text : '',
};
const model: DashboardModel = { snapshot: undefined, history: undefined, picked: state.cluster };

let dirty = false;
let themeChanged = false;

function invalidate(): void {
  if (dirty) return;
  dirty = true;
  if (!document.hidden) requestAnimationFrame(render);
}

const table = new RequestTable({
  onFilter(filter: RequestFilter, text: string) {
    state.filter = filter;
    state.text = text;
    feed.saveState(state);
    feed.send({ type: 'filter', filter, text });
  },
  invalidate,
});
table.setFilter(state.filter, state.text);

const statusLine = h('span', { class: 'status', role: 'status' });
const clusterTabs = h('nav', { class: 'clusters', 'aria-label': 'Clusters' });
const rangeButtons = RANGES.map((r) => {
  const b = h('button', { type: 'button', 'data-range': r.range, 'aria-pressed': String(r.range === state.range) }, r.label);
  b.addEventListener('click', () => pickRange(r.range));
  return b;
});
const summary = mode === 'dashboard' ? new Summary() : undefined;
const endpoints = mode === 'dashboard' ? new EndpointsPanel() : undefined;
const keys = mode === 'dashboard' ? new KeysPanel() : undefined;

/** Title, cluster tabs, range buttons, feed status, theme switch; none in VS Code's Tail Logs, whose tab names it and which has nothing to switch. */
function topBar(): HTMLElement | null {
  if (mode === 'requests' && inVsCode) return null;
  return h(
    'header',
    { class: 'top' },
    h('h1', {}, mode === 'dashboard' ? 'Switchyard' : 'Switchyard requests'),
    mode === 'dashboard' ? clusterTabs : null,
    mode === 'dashboard' ? h('div', { class: 'ranges', role: 'group', 'aria-label': 'Time range' }, ...rangeButtons) : null,
    h('span', { class: 'spacer' }),
    statusLine,
    inVsCode ? null : themeSwitch(),
  );
}

document.body.classList.add(`mode-${mode}`);
append(document.body, [topBar(), keyForm.root, h('main', {}, summary?.root, endpoints?.root, keys?.root, table.root)]);

function pickRange(range: HistoryRange): void {
  if (range === state.range) return;
  state.range = range;
  model.history = undefined;
  for (const b of rangeButtons) b.setAttribute('aria-pressed', String(b.dataset.range === range));
  feed.saveState(state);
  feed.send({ type: 'range', range });
  invalidate();
}

function pickCluster(name: string): void {
  if (name === shownClusterName(model)) return;
  state.cluster = name;
  model.picked = name;
  model.history = undefined;
  feed.saveState(state);
  feed.send({ type: 'cluster', name });
  invalidate();
}

function renderClusterTabs(): void {
  const names = [...new Set([...(model.snapshot?.clusters.map((c) => c.name) ?? []), ...(model.history?.clusters ?? [])])];
  const shown = shownClusterName(model);
  fill(
    clusterTabs,
    ...names.map((name) => {
      const b = h('button', { type: 'button', 'aria-pressed': String(name === shown), title: isActive(model.snapshot, name) ? 'gets the traffic now' : 'click to look at it' }, name, isActive(model.snapshot, name) ? h('span', { class: 'active-dot', 'aria-label': 'active' }, ' ●') : null);
      b.addEventListener('click', () => pickCluster(name));
      return b;
    }),
  );
}

function onMessage(m: HostMessage): void {
  switch (m.type) {
    case 'snapshot':
      model.snapshot = m.snapshot;
      break;
    case 'history':
      if (m.range === state.range) model.history = m.view;
      break;
    case 'historyDelta':
      if (m.range === state.range) model.history = mergeHistory(model.history, m.delta);
      break;
    case 'request':
      table.append([m.record]);
      return;
    case 'requests':
      if (m.replace) table.replace(m.records);
      else table.append(m.records);
      return;
    case 'filter':
      state.filter = m.filter;
      state.text = m.text;
      table.setFilter(m.filter, m.text);
      feed.saveState(state);
      return;
    case 'banner':
      table.setBanner(m.text);
      return;
  }
  invalidate();
}

function onStatus(s: FeedStatus): void {
  statusLine.dataset.kind = s.kind;
  statusLine.textContent =
    s.kind === 'live' ? (inVsCode ? '' : '● live') : s.kind === 'connecting' ? 'connecting…' : s.kind === 'retrying' ? `${s.reason}; retrying in ${Math.round(s.inMs / 1000)} s` : s.kind === 'key-required' ? 'client key required' : 'paused while hidden';
}

function render(): void {
  if (document.hidden) return;
  dirty = false;
  const theme = chartTheme();
  if (themeChanged) {
    themeChanged = false;
    endpoints?.destroy();
    keys?.destroy();
  }
  if (mode === 'dashboard') {
    renderClusterTabs();
    summary!.render(model);
    endpoints!.render(model, theme);
    keys!.render(model, theme);
    // The table shows the picked cluster's requests, like the rest of the page.
    table.setCluster(shownClusterName(model) ?? null);
  }
  table.render();
}

watchTheme(() => {
  themeChanged = true;
  invalidate();
});

let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    endpoints?.resize();
    keys?.resize();
  });
}).observe(document.querySelector('main')!);

/** Countdowns (cooling 42 s, probe in 12 s) and the band chart's "now" move on while nothing arrives. */
let ticker: ReturnType<typeof setInterval> | undefined;
function startTicker(): void {
  if (mode === 'dashboard' && ticker === undefined) ticker = setInterval(invalidate, 1000);
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden) {
    clearInterval(ticker);
    ticker = undefined;
    feed.pause();
    return;
  }
  feed.resume();
  startTicker();
  if (dirty) requestAnimationFrame(render);
});

feed.start(state, onMessage, onStatus);
if (document.hidden) feed.pause();
else startTicker();
invalidate();
