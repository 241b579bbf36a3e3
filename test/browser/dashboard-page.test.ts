// The dashboard page in headless Chromium: served headless with a scripted SSE feed (client key, charts, bands, request table, hiding) and in a VS Code-like webview (requests mode, high contrast).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TrafficHistory } from '../../src/core/history';
import { HistoryRecorder } from '../../src/core/historyRecorder';
import type { RequestRecord } from '../../src/core/log';
import type { RuntimeSnapshot } from '../../src/core/runtime';
import type { DashboardRequest, DashboardSnapshot, HostMessage } from '../../src/dashboard/feed';
import { handleDashboardRequest } from '../../src/dashboard/headless';
import { dashboardHtml } from '../../src/dashboard/html';
import type { DashboardSource } from '../../src/dashboard/session';
import { hostMessageOf, SseParser, sseFrame } from '../../src/dashboard/sseEvents';
import { launchBrowser } from '../vscode/host/browser';

// Browser globals, for the functions run in the page by evaluate() (this file is compiled without the DOM library).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const DIST = path.join(REPO_ROOT, 'dist');
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const UI_MS = 15_000;
const TIMEOUT_MS = 90_000;
const MIN = 60_000;
/** Built at run time so no key-like literal is tracked. */
const CLIENT_KEY = `sy-${randomBytes(12).toString('hex')}`;

/** A small proxy in numbers: "fast" is healthy, "down" fails and gets ejected, "slow" answers slowly; requests keep coming. */
class ScriptedProxy implements DashboardSource {
  readonly history = new TrafficHistory();
  private readonly records: DashboardRequest[] = [];
  private readonly requestListeners = new Set<(r: readonly DashboardRequest[]) => void>();
  private readonly snapshotListeners = new Set<() => void>();
  private readonly recorder: HistoryRecorder;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private downState = 'healthy';
  private nextProbeAt: number | null = null;
  private coolingUntil = 0;

  constructor() {
    const runtime = {
      clusters: [
        { name: 'main', endpoints: ['fast', 'down', 'slow'].map((n) => ({ id: `main/${n}`, name: n, keys: [] })) },
        { name: 'backup', endpoints: [{ id: 'backup/reserve', name: 'reserve', keys: [] }] },
      ],
    } as unknown as RuntimeSnapshot;
    this.recorder = new HistoryRecorder(this.history, () => runtime);
  }

  /** The last 15 minutes, then a request every second. */
  start(): void {
    const now = Date.now();
    const state = (at: number, state: 'healthy' | 'degraded' | 'unhealthy' | 'open', cause?: string, until?: number) => {
      this.history.recordState({ at, cluster: 'main', endpoint: 'down', state, cause, until });
      this.downState = state;
    };
    const events: [number, () => void][] = [
      [-11 * MIN, () => state(now - 11 * MIN, 'degraded', 'UPSTREAM_5XX')],
      [-10 * MIN, () => state(now - 10 * MIN, 'unhealthy', 'UPSTREAM_5XX')],
      [-9 * MIN, () => state(now - 9 * MIN, 'open', 'UPSTREAM_CONNECT', now - 8.5 * MIN)],
      [-8.5 * MIN, () => this.history.recordProbe({ at: now - 8.5 * MIN, cluster: 'main', endpoint: 'down', ok: false, cause: 'UPSTREAM_CONNECT' })],
      [-5 * MIN, () => this.history.recordProbe({ at: now - 5 * MIN, cluster: 'main', endpoint: 'down', ok: true })],
      [-5 * MIN + 1, () => state(now - 5 * MIN, 'healthy')],
      [-3 * MIN, () => state(now - 3 * MIN, 'degraded', 'UPSTREAM_CONNECT')],
      [-2 * MIN, () => state(now - 2 * MIN, 'open', 'UPSTREAM_CONNECT', now + 30_000)],
      [-7 * MIN, () => this.history.recordState({ at: now - 7 * MIN, cluster: 'main', endpoint: 'fast', key: '…c3d4', state: 'cooling', cause: 'RATE_LIMITED', until: now - 6 * MIN })],
      [-4 * MIN, () => this.history.recordState({ at: now - 4 * MIN, cluster: 'main', endpoint: 'slow', key: '…e5f6', state: 'invalid', cause: 'KEY_INVALID', until: now + 26 * MIN })],
    ];
    events.sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (let t = now - 15 * MIN; t < now; t += 1500) {
      while (next < events.length && now + events[next][0] <= t) events[next++][1]();
      this.request(t);
    }
    while (next < events.length) events[next++][1]();
    this.nextProbeAt = now + 30_000;
    this.coolingUntil = now + 40_000;
    this.timer = setInterval(() => this.request(Date.now(), true), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private request(at: number, live = false): void {
    const n = this.seq++;
    const toSlow = n % 5 === 4;
    const downFailing = this.downState !== 'healthy';
    const triesDown = !toSlow && n % 3 === 0;
    const attempts: RequestRecord['attempts'] = [];
    if (triesDown) attempts.push(downFailing ? { endpoint: 'down', key: null, cause: 'UPSTREAM_CONNECT', status: null, detail: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9', ms: 2 } : { endpoint: 'down', key: null, cause: 'OK', status: 200, ms: 180 });
    const finalEndpoint = toSlow ? 'slow' : 'fast';
    const key = toSlow ? '…e5f6' : n % 2 ? '…a1b2' : '…c3d4';
    const served = !(triesDown && !downFailing);
    const failsOnSlow = toSlow && n % 4 === 0;
    const ttfb = toSlow ? 1200 + (n % 7) * 250 : 70 + (n % 9) * 20;
    if (served) attempts.push({ endpoint: finalEndpoint, key, cause: failsOnSlow ? 'UPSTREAM_5XX' : 'OK', status: failsOnSlow ? 502 : 200, ms: ttfb + 400 });
    const last = attempts[attempts.length - 1];
    const ok = last.cause === 'OK';
    const record: DashboardRequest = {
      id: `req-${n.toString(36)}`,
      time: new Date(at).toISOString(),
      method: 'POST',
      path: '/v1/messages',
      cluster: 'main',
      model: toSlow ? 'claude-opus-4' : 'claude-sonnet-4',
      stream: true,
      endpoint: last.endpoint,
      key: last.key,
      status: ok ? 200 : 502,
      outcome: ok ? 'OK' : 'UPSTREAM_5XX',
      attempts,
      ttfbMs: ok ? ttfb : null,
      durationMs: ttfb + 400,
      bytesIn: 2048,
      bytesOut: ok ? 9000 : 120,
      usage: ok ? { inputTokens: 1200, outputTokens: 300 + (n % 5) * 40, cacheReadTokens: 8000, cacheWriteTokens: n % 6 === 0 ? 900 : 0 } : null,
      costUsd: ok && !toSlow ? 0.0042 : null,
      affinity: n % 4 === 0 ? 'new' : 'hit',
      api: 'anthropic-messages',
    };
    this.recorder.request(record as unknown as RequestRecord);
    this.records.push(record);
    if (this.records.length > 500) this.records.shift();
    if (live) {
      for (const l of this.requestListeners) l([record]);
      if (n % 4 === 0) for (const l of this.snapshotListeners) l();
    }
  }

  snapshot(): DashboardSnapshot {
    const now = Date.now();
    return {
      activeCluster: 'main',
      activeClusters: { anthropic: 'main' },
      requests: { total: this.seq, inFlight: 2, failed: Math.floor(this.seq / 10) },
      clusters: [
        {
          name: 'main',
          protocol: 'anthropic',
          active: true,
          endpoints: [
            { name: 'fast', baseUrl: 'https://fast.example.test', state: 'healthy', inFlight: 2, lastError: null, keys: [{ suffix: '…a1b2', state: 'ok' }, { suffix: '…c3d4', state: this.coolingUntil > now ? 'cooling' : 'ok', cooldownUntil: this.coolingUntil > now ? this.coolingUntil : null }] },
            { name: 'down', baseUrl: 'http://127.0.0.1:9', state: 'open', inFlight: 0, nextProbeAt: this.nextProbeAt, lastError: { cause: 'UPSTREAM_CONNECT', message: 'connect ECONNREFUSED 127.0.0.1:9', at: now - 4000 }, keys: [] },
            { name: 'slow', baseUrl: 'https://slow.example.test', state: 'degraded', inFlight: 0, lastError: { cause: 'UPSTREAM_5XX', message: 'upstream answered 502', at: now - 20_000 }, keys: [{ suffix: '…e5f6', state: 'invalid', cooldownUntil: now + 26 * MIN }] },
          ],
        },
        { name: 'backup', protocol: 'anthropic', active: false, endpoints: [{ name: 'reserve', state: 'healthy', keys: [] }] },
      ],
    };
  }

  recentRequests(): readonly DashboardRequest[] {
    return this.records;
  }

  onSnapshot(listener: () => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  onRequests(listener: (records: readonly DashboardRequest[]) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }
}

const proxy = new ScriptedProxy();
let server: http.Server;
let base = '';
let browser: Browser;
/** Every URL the test server was asked for. */
const served: string[] = [];
let openStreams = 0;

/** The same page as a VS Code webview would get it, for the requests-only mode. */
function webviewHarness(): string {
  return dashboardHtml({ scriptUri: '/_switchyard/dashboard.js', styleUri: '/_switchyard/dashboard.css', nonce: randomBytes(16).toString('base64'), cspSource: "'self'", mode: 'requests', host: 'vscode' });
}

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'dashboard.js')) && fs.existsSync(path.join(DIST, 'dashboard.css')), 'dist/dashboard.js and .css are built (npm run pretest)');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  proxy.start();
  server = http.createServer((req, res) => {
    served.push(req.url ?? '');
    const url = req.url ?? '/';
    if (url === '/webview-requests') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(webviewHarness());
      return;
    }
    // The proxy's guard: the event stream needs the client key in its header.
    if (url.startsWith('/_switchyard/events')) {
      if (req.headers['x-switchyard-key'] !== CLIENT_KEY) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'CLIENT_KEY_REQUIRED', message: 'this Switchyard requires its client key in the x-switchyard-key header.' } }));
        return;
      }
      openStreams++;
      res.on('close', () => openStreams--);
    }
    if (!handleDashboardRequest(req, res, { source: proxy, distDir: DIST, session: { historyTickMs: () => 1000, snapshotMs: 200 } })) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
}, { timeout: TIMEOUT_MS });

after(async () => {
  proxy.stop();
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = UI_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Records CSP violations in the page, so a test can assert there were none. */
async function watchCsp(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e: any) => (window.__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  context.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

/** Counts canvas pixels within a small distance of a CSS colour variable's colour. */
function pixelsOf(page: Page, chart: string, variable: string): Promise<number> {
  return page.evaluate(
    ([chartName, name]: [string, string]) => {
      const canvas = document.querySelector(`figure[data-chart="${chartName}"] canvas`);
      const probe = document.createElement('i');
      probe.style.color = getComputedStyle(document.body).getPropertyValue(name).trim();
      document.body.append(probe);
      const [r, g, b] = getComputedStyle(probe).color.match(/\d+/g).map(Number);
      probe.remove();
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 90) n++;
      return n;
    },
    [chart, variable] as [string, string],
  );
}

test('the SSE framing: frames split anywhere (and CRLF) come back whole; named events with bare payloads are wrapped', () => {
  const messages: HostMessage[] = [
    { type: 'banner', text: 'two\nlines' },
    { type: 'filter', filter: 'errors', text: 'down' },
  ];
  const wire = `: hello\r\n\r\n${messages.map(sseFrame).join('')}`.replace(/\n/g, '\r\n');
  for (let cut = 1; cut < wire.length; cut += 7) {
    const parser = new SseParser();
    const events = [...parser.push(wire.slice(0, cut)), ...parser.push(wire.slice(cut))];
    assert.deepEqual(events.map(hostMessageOf), messages, `cut at ${cut}`);
  }
  const named = new SseParser().push('event: snapshot\ndata: {"clusters":[]}\n\nevent: other\ndata: {"x":1}\n\ndata: not json\n\n');
  assert.deepEqual(named.map(hostMessageOf), [{ type: 'snapshot', snapshot: { clusters: [] } }, undefined, undefined]);
});

let page: Page;
let context: BrowserContext;
let csp: string[] = [];
/** Every URL the page requested. */
const requested: string[] = [];

test('headless: the event stream answers 401, the page asks for the client key, then goes live', { timeout: TIMEOUT_MS }, async () => {
  context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' });
  csp = await watchCsp(context);
  page = await context.newPage();
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(`${base}/_switchyard/dashboard`);
  const form = page.locator('form.key-form');
  await form.waitFor({ state: 'visible', timeout: UI_MS });
  assert.match(await page.locator('.status').innerText(), /client key required/);
  await form.locator('input[type=password]').fill('wrong-key');
  await form.locator('button[type=submit]').click();
  await page.locator('.key-refused').waitFor({ state: 'visible', timeout: UI_MS });
  await form.locator('input[type=password]').fill(CLIENT_KEY);
  await form.locator('button[type=submit]').click();
  await page.locator('.status[data-kind="live"]').waitFor({ timeout: UI_MS });
  assert.ok(await form.isHidden());
  assert.equal(openStreams, 1);
});

test('headless: the charts are drawn on canvas with legend values, health and key bands in their state colours', { timeout: TIMEOUT_MS }, async () => {
  for (const chart of ['Requests / min', 'Success', 'Time to first byte', 'Health', 'Tokens / min', 'Key state']) {
    await page.locator(`figure[data-chart="${chart}"] canvas`).first().waitFor({ timeout: UI_MS });
  }
  const legend = page.locator('figure[data-chart="Requests / min"] .u-legend');
  const text = await legend.innerText();
  for (const name of ['fast', 'down', 'slow']) assert.match(text, new RegExp(name));
  const values = await page.locator('figure[data-chart="Requests / min"] .u-legend .u-series:not(:first-child) .u-value').allInnerTexts();
  assert.ok(values.length === 3 && values.every((v) => /^\d/.test(v)), `legend values: ${values}`);
  const ttfb = await page.locator('figure[data-chart="Time to first byte"] .u-legend .u-value').allInnerTexts();
  assert.ok(ttfb.some((v) => / s$/.test(v)) && ttfb.some((v) => / ms$/.test(v)), `TTFB legend: ${ttfb}`);
  // Bands: healthy green, open red, degraded yellow (the down endpoint went through all of them).
  await waitFor('red and green health bands', async () => (await pixelsOf(page, 'Health', '--vscode-charts-red')) > 300 && (await pixelsOf(page, 'Health', '--vscode-charts-green')) > 300);
  assert.ok((await pixelsOf(page, 'Health', '--vscode-charts-yellow')) > 100, 'degraded band');
  assert.ok((await pixelsOf(page, 'Key state', '--vscode-charts-yellow')) > 50, 'a cooldown band');
  assert.ok((await pixelsOf(page, 'Key state', '--vscode-charts-red')) > 50, 'an invalid band');
  // Hovering moves the shared cursor; the readout names each endpoint's state then.
  const over = page.locator('figure[data-chart="Health"] .u-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.45, box.y + 5);
  assert.match(await page.locator('figure[data-chart="Health"] .band-readout').innerText(), /down: (open|healthy)/);
  await page.mouse.move(2, 2);
  // Tables: endpoint states now, key suffixes with cooldowns, and the summary tiles.
  const endpoints = await page.locator('section.endpoints .data-table').innerText();
  assert.match(endpoints, /down\s+open\s+probe in \d+ s/);
  const keys = await page.locator('section.keys .data-table').innerText();
  assert.match(keys, /…c3d4\s+fast\s+cooling \d+ s/);
  assert.match(keys, /…e5f6\s+slow\s+invalid/);
  assert.match(keys, /\$\d/, 'a cost where the price is known');
  assert.match(keys, /8\d(\.\d)?%/, 'cache hit share');
  const summary = await page.locator('section.summary').innerText();
  assert.match(summary, /REQUESTS\s+\d+/i);
  assert.match(summary, /SUCCESS\s+\d+(\.\d)?%/i);
});

test('headless: the request table fills live, filters by outcome and text, and a click shows the attempt trace', { timeout: TIMEOUT_MS }, async () => {
  const rows = page.locator('#rows tr[data-id]');
  await waitFor('rows', async () => (await rows.count()) >= 50);
  const newest = await rows.first().getAttribute('data-id');
  await waitFor('a live row on top', async () => (await rows.first().getAttribute('data-id')) !== newest);
  assert.match(await rows.first().innerText(), /POST \/v1\/messages/);

  await page.locator('#filter').selectOption('errors');
  await waitFor('only errors', async () => {
    const classes = await rows.evaluateAll((trs: any[]) => trs.map((tr) => tr.className));
    return classes.length > 0 && classes.every((c: string) => c.includes('error'));
  });
  await page.locator('#filter').selectOption('retried');
  await waitFor('only retried', async () => {
    const attempts = await page.locator('#rows tr[data-id] td.attempts').allInnerTexts();
    return attempts.length > 0 && attempts.every((a) => a.includes('→'));
  });
  await page.locator('#text').fill('down');
  const retriedDown = await page.locator('#rows tr[data-id]').allInnerTexts();
  assert.ok(retriedDown.length > 0 && retriedDown.every((t) => t.includes('down')));
  await page.locator('#filter').selectOption('all');
  await page.locator('#text').fill('claude-opus');
  await waitFor('text filter', async () => {
    const texts = await rows.allInnerTexts();
    return texts.length > 0 && texts.every((t) => t.includes('claude-opus') && t.includes('slow'));
  });
  await page.locator('#text').fill('UPSTREAM_CONNECT');
  await rows.first().click();
  const trace = page.locator('#rows tr.trace');
  await trace.waitFor({ timeout: UI_MS });
  const traceText = await trace.innerText();
  assert.match(traceText, /Attempts of POST \/v1\/messages/);
  assert.match(traceText, /down \(client key\) — UPSTREAM_CONNECT · ECONNREFUSED/);
  assert.match(traceText, /fast …(a1b2|c3d4) — 200 OK/);
  assert.equal(await page.locator('#rows tr.trace li').count(), 2);
  // A second click closes it.
  await page.locator('#rows tr.selected').click();
  assert.equal(await trace.count(), 0);
  await page.locator('#text').fill('');
});

test('headless: a hidden page closes its event stream and reconnects when shown again', { timeout: TIMEOUT_MS }, async () => {
  assert.equal(openStreams, 1);
  const setHidden = (hidden: boolean) =>
    page.evaluate((h: boolean) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
      document.dispatchEvent(new window.Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  await waitFor('the stream to close', async () => openStreams === 0);
  const before = served.filter((u) => u.startsWith('/_switchyard/events')).length;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(served.filter((u) => u.startsWith('/_switchyard/events')).length, before, 'no reconnect while hidden');
  await setHidden(false);
  await waitFor('the stream to reopen', async () => openStreams === 1);
  await page.locator('.status[data-kind="live"]').waitFor({ timeout: UI_MS });
});

test('headless: another range and another cluster reconnect with that query and redraw', { timeout: TIMEOUT_MS }, async () => {
  await page.locator('.ranges button[data-range="1h"]').click();
  await waitFor('a 1 h stream', async () => served.some((u) => u.startsWith('/_switchyard/events?range=1h')));
  await page.locator('.status[data-kind="live"]').waitFor({ timeout: UI_MS });
  await page.locator('.clusters button', { hasText: 'backup' }).click();
  await waitFor('the backup cluster', async () => (await page.locator('section.endpoints .data-table').innerText()).includes('reserve'));
  assert.ok(served.some((u) => u.includes('cluster=backup')));
  await page.locator('.clusters button', { hasText: 'main' }).click();
  await page.locator('.ranges button[data-range="15m"]').click();
  await waitFor('main again', async () => (await page.locator('section.endpoints .data-table').innerText()).includes('down'));
});

test('headless: light and dark themes (system or the switch) redraw the canvases in the theme colours; screenshots', { timeout: TIMEOUT_MS }, async () => {
  await page.mouse.move(2, 2);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-light.png'), fullPage: true });
  const lightBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const lightGreen = await page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-charts-green').trim());
  await page.emulateMedia({ colorScheme: 'dark' });
  await waitFor('dark colours', async () => (await page.evaluate(() => getComputedStyle(document.body).backgroundColor)) !== lightBg);
  const darkGreen = await page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-charts-green').trim());
  assert.notEqual(darkGreen, lightGreen);
  // The bands were redrawn with the dark theme's green.
  await waitFor('dark bands', async () => (await pixelsOf(page, 'Health', '--vscode-charts-green')) > 300);
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-dark.png'), fullPage: true });
  // The switch overrides the system: auto → light.
  await page.locator('button.theme-switch').click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  await waitFor('light again', async () => (await page.evaluate(() => getComputedStyle(document.body).backgroundColor)) === lightBg);
  await page.locator('button.theme-switch').click();
  await page.locator('button.theme-switch').click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);
});

test('headless: no CSP violation, nothing loaded from elsewhere, and the client key is never in a URL', { timeout: TIMEOUT_MS }, async () => {
  assert.deepEqual(csp, []);
  assert.deepEqual(await page.evaluate(() => window.__csp ?? []), []);
  assert.ok(requested.length > 3);
  assert.deepEqual(requested.filter((u) => !u.startsWith(base)), []);
  assert.deepEqual([...requested, ...served].filter((u) => u.includes(CLIENT_KEY)), []);
  assert.ok(!page.url().includes(CLIENT_KEY));
  await context.close();
});

test('VS Code webview: requests-only mode from posted messages, filter both ways, high contrast', { timeout: TIMEOUT_MS }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 560 } });
  const violations = await watchCsp(ctx);
  await ctx.addInitScript(() => {
    window.__posted = [];
    let saved: unknown;
    window.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => window.__posted.push(m), getState: () => saved, setState: (s: unknown) => (saved = s) });
    // What VS Code does for a high-contrast theme: a body class and the variables on <html>.
    document.addEventListener('DOMContentLoaded', () => {
      const vars: Record<string, string> = {
        '--vscode-font-family': 'system-ui, sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
        '--vscode-foreground': '#ffffff', '--vscode-descriptionForeground': '#ffffffb3', '--vscode-editor-background': '#000000',
        '--vscode-contrastBorder': '#6fc3df', '--vscode-contrastActiveBorder': '#f38518', '--vscode-focusBorder': '#f38518',
        '--vscode-input-background': '#000000', '--vscode-input-foreground': '#ffffff', '--vscode-input-border': '#6fc3df',
        '--vscode-errorForeground': '#f48771', '--vscode-editorWarning-foreground': '#ffd370', '--vscode-list-hoverBackground': '#000000',
        '--vscode-charts-red': '#f48771', '--vscode-charts-green': '#89d185', '--vscode-charts-blue': '#3794ff', '--vscode-charts-yellow': '#ffd370', '--vscode-charts-lines': '#ffffff80',
      };
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      document.body.classList.add('vscode-high-contrast');
    });
  });
  const p = await ctx.newPage();
  await p.goto(`${base}/webview-requests`);
  await waitFor('ready', async () => (await p.evaluate(() => window.__posted)).some((m: { type: string }) => m.type === 'ready'));
  const post = (messages: HostMessage[]) => p.evaluate((ms: HostMessage[]) => ms.forEach((m) => window.postMessage(m, '*')), messages);
  const backlog = [...proxy.recentRequests()].slice(-40);
  await post([
    { type: 'requests', records: backlog, replace: true },
    { type: 'banner', text: 'The proxy on http://127.0.0.1:7860 runs in another VS Code window (pid 4242).' },
  ]);
  const rows = p.locator('#rows tr[data-id]');
  await waitFor('the backlog', async () => (await rows.count()) === 40);
  assert.equal(await p.locator('section.endpoints').count(), 0, 'requests mode shows only the table');
  assert.match(await p.locator('#banner').innerText(), /another VS Code window/);
  await post([{ type: 'request', record: { ...backlog[0], id: 'req-live', time: new Date().toISOString(), path: '/v1/messages/count_tokens' } }]);
  await waitFor('the live row', async () => (await rows.first().getAttribute('data-id')) === 'req-live');
  // The page reports its filter to the host…
  await p.locator('#filter').selectOption('errors');
  await waitFor('the filter message', async () => (await p.evaluate(() => window.__posted)).some((m: { type: string; filter?: string }) => m.type === 'filter' && m.filter === 'errors'));
  // …and the host can set it (Tail Logs opened with a filter).
  await post([{ type: 'filter', filter: 'retried', text: 'down' }]);
  await waitFor('the host filter', async () => (await p.locator('#filter').inputValue()) === 'retried' && (await p.locator('#text').inputValue()) === 'down');
  await waitFor('retried rows', async () => (await rows.count()) > 0 && (await rows.allInnerTexts()).every((t) => t.includes('down')));
  await rows.first().click();
  await p.locator('#rows tr.trace').waitFor({ timeout: UI_MS });
  assert.equal(await p.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(0, 0, 0)');
  await p.screenshot({ path: path.join(ARTIFACTS, 'dashboard-requests-hc.png') });
  assert.deepEqual(violations, []);
  assert.deepEqual(await p.evaluate(() => window.__csp ?? []), []);
  await ctx.close();
});
