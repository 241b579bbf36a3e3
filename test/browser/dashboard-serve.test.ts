// The dashboard of a real `switchyard serve` (one healthy and one failing upstream under traffic) in headless Chromium, fed by /_switchyard/events.

import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SimulatedUpstream, startSimulatedUpstream } from '../../src/core/demo';
import { launchBrowser } from '../vscode/host/browser';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const UI_MS = 15_000;
const TIMEOUT_MS = 90_000;
/** Built at run time so no key-like literal is tracked. */
const CLIENT_KEY = `sy-${randomBytes(12).toString('hex')}`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-dash-'));
const upstreams: SimulatedUpstream[] = [];
let serve: ChildProcess | undefined;
let port = 0;
let browser: Browser | undefined;
let page: Page;
let sent = 0;

function get(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: pathname, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

/** One client request (a conversation of its own, so affinity spreads them). */
function post(): Promise<number> {
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: `hello ${++sent}` }] });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/messages', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': CLIENT_KEY } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = UI_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  upstreams.push(await startSimulatedUpstream('good', 0, 15), await startSimulatedUpstream('bad', 1, 5));
  const config = {
    clientKey: CLIENT_KEY,
    clusters: [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'good', baseUrl: upstreams[0].url }, { name: 'bad', baseUrl: upstreams[1].url }] }],
    // Short ejections, so the failing endpoint goes through open, probe and open again while the test runs.
    health: { unhealthyAfter: 1, ejectAfter: 2, ejectionBaseMs: 400, ejectionMaxMs: 800 },
  };
  const file = path.join(tmp, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  serve = spawn(process.execPath, [CLI, 'serve', '--config', file, '--port', '0'], { env: { ...process.env, HOME: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  serve.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  serve.stderr!.resume();
  port = await waitFor('the listening line', async () => Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]) || undefined, 10_000);
  browser = await launchBrowser();
}, { timeout: TIMEOUT_MS });

after(async () => {
  await browser?.close();
  serve?.kill('SIGKILL');
  await Promise.all(upstreams.map((u) => u.close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('GET /_switchyard/dashboard serves the page with a strict CSP and local assets only; the feed needs the client key', async () => {
  const page = await get('/_switchyard/dashboard');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-[^']+'/);
  assert.doesNotMatch(page.body, /https?:\/\/(?!127\.0\.0\.1)/, 'nothing remote');
  assert.ok(!page.body.includes(CLIENT_KEY));
  assert.equal((await get('/_switchyard/dashboard.js')).status, 200);
  assert.equal((await get('/_switchyard/events')).status, 401);
});

test('a browser fed by /_switchyard/events draws both endpoints’ series, the failing one’s state change and the request rows', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(browser);
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'dark' });
  page = await context.newPage();
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  await page.goto(`http://127.0.0.1:${port}/_switchyard/dashboard`);
  const form = page.locator('form.key-form');
  await form.waitFor({ state: 'visible', timeout: UI_MS });
  await form.locator('input[type=password]').fill(CLIENT_KEY);
  await form.locator('button[type=submit]').click();
  await page.locator('.status[data-kind="live"]').waitFor({ timeout: UI_MS });

  // Traffic while the page watches: the bad endpoint fails, is ejected, probed and ejected again.
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    statuses.push(await post());
    await new Promise((r) => setTimeout(r, 40));
  }
  assert.ok(statuses.every((s) => s === 200), `every request saved by the good endpoint: ${statuses}`);

  const legend = page.locator('figure[data-chart="Requests / min"] .u-legend');
  await waitFor('both endpoints in the requests chart', async () => {
    const text = await legend.innerText();
    return /good/.test(text) && /bad/.test(text);
  });
  const endpoints = page.locator('section.endpoints .data-table');
  await waitFor('the bad endpoint ejected or probed in the endpoint table', async () => /bad\s+(open|unhealthy|degraded)/.test(await endpoints.innerText()));
  // The health chart's readout names the failing endpoint's state at the cursor: move it to the newest bucket.
  const over = page.locator('figure[data-chart="Health"] .u-over');
  await over.waitFor({ timeout: UI_MS });
  const box = (await over.boundingBox())!;
  await waitFor('a state other than healthy for bad in the health readout', async () => {
    await page.mouse.move(box.x + box.width - 3, box.y + 5);
    return /bad: (open|unhealthy|degraded)/.test(await page.locator('figure[data-chart="Health"] .band-readout').innerText());
  });
  await page.mouse.move(2, 2);
  const rows = page.locator('#rows tr[data-id]');
  await waitFor('the request rows', async () => (await rows.count()) >= 40);
  await page.locator('#filter').selectOption('retried');
  await waitFor('rows retried past the bad endpoint onto the good one', async () => (await rows.count()) > 0 && (await rows.first().innerText()).includes('good'));
  await rows.first().click();
  const trace = await page.locator('#rows tr.trace').innerText();
  assert.match(trace, /bad/);
  assert.match(trace, /good/);
  await rows.first().click();
  await page.locator('#filter').selectOption('all');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-serve-dark.png'), fullPage: true });
  assert.ok(urls.every((u) => u.startsWith(`http://127.0.0.1:${port}/`)), `only the proxy was asked: ${urls.filter((u) => !u.startsWith(`http://127.0.0.1:${port}/`))}`);
  await context.close();
});
