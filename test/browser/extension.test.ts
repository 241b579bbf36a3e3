// The extension as a user sees it in a real workbench: activity-bar tree with endpoint states, status bar, palette commands, a second window.
import * as assert from 'assert';
import * as http from 'http';
import { after, before, test } from 'node:test';
import { SimulatedUpstream, startSimulatedUpstream } from '../../src/core/demo';
import { freePort } from '../../src/core/ports';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../vscode/host/browser';
import { Workbench } from './workbench';

const TIMEOUT_MS = 180_000;
const UI_MS = 20_000;

/** What the page's window offers (the tests compile without the DOM library). */
interface BrowserGlobals {
  navigator: { clipboard: { writeText(text: string): Promise<void> } };
}

let browser: Browser | undefined;
let first: Workbench | undefined;
let second: Workbench | undefined;
let port = 0;
let settings: Record<string, unknown> = {};
const upstreams: SimulatedUpstream[] = [];


let conversations = 0;

/** One request, each a conversation of its own (so affinity spreads them like independent clients). */
function post(p: number): Promise<{ status: number; endpoint: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'demo', max_tokens: 8, messages: [{ role: 'user', content: `hi (${++conversations})` }] });
    const req = http.request(
      { host: '127.0.0.1', port: p, path: '/v1/messages', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': 'sk-client-key-0000' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, endpoint: String(res.headers['x-switchyard-endpoint']) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = UI_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function pickInQuickInput(wb: Workbench, text: string): Promise<void> {
  const input = wb.page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: UI_MS });
  await input.fill(text);
  await wb.page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: text }).first().waitFor({ state: 'visible', timeout: UI_MS });
  await wb.page.keyboard.press('Enter');
}

before(async () => {
  const fast = await startSimulatedUpstream('fast', 0, 20);
  const slow = await startSimulatedUpstream('slow', 0, 400);
  const reserve = await startSimulatedUpstream('reserve', 0, 20);
  upstreams.push(fast, slow, reserve);
  port = await freePort();
  settings = {
    'switchyard.port': port,
    'switchyard.clusters': [
      {
        name: 'main',
        protocol: 'anthropic',
        endpoints: [
          { name: 'fast', baseUrl: fast.url },
          { name: 'slow', baseUrl: slow.url },
          { name: 'down', baseUrl: `http://127.0.0.1:${await freePort()}` },
        ],
      },
      { name: 'backup', protocol: 'anthropic', endpoints: [{ name: 'reserve', baseUrl: reserve.url }] },
    ],
    'switchyard.health': { unhealthyAfter: 1, ejectAfter: 1, slowMs: 250, ejectionBaseMs: 300_000 },
  };
  // One Chromium for both windows, owned here so closing the first window leaves the second one's page open.
  browser = await launchBrowser();
  first = await Workbench.start({ settings, browser });
}, { timeout: TIMEOUT_MS });

after(async () => {
  await second?.close();
  await first?.close();
  await browser?.close();
  await Promise.all(upstreams.map((u) => u.close()));
}, { timeout: TIMEOUT_MS });

test('activation starts the proxy on switchyard.port and requests reach the upstreams', { timeout: TIMEOUT_MS }, async () => {
  await waitUntil('the proxy to answer', async () => (await post(port)).status === 200 || undefined, 60_000);
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const r = await post(port);
    assert.strictEqual(r.status, 200);
    seen.add(r.endpoint);
  }
  assert.ok(seen.has('fast'));
  assert.ok(!seen.has('down'));
});

test('the status bar shows healthy/total and the port', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(first);
  const text = await first.waitForStatusBarText(new RegExp(`Switchyard 1/3 · :${port}`), UI_MS);
  assert.match(text, new RegExp(`Switchyard 1/3 · :${port}`));
});

test('the activity-bar view shows the clusters and each endpoint state', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(first);
  const sidebar = await first.openView('Switchyard');
  const rows = sidebar.locator('.monaco-list-row');
  await rows.filter({ hasText: 'backup' }).first().waitFor({ state: 'visible', timeout: UI_MS });
  for (const [name, state] of [['fast', 'healthy'], ['slow', 'degraded'], ['down', 'open (ejected)']]) {
    const row = sidebar.locator(`.monaco-list-row[aria-label^="${name}, ${state}"]`);
    await row.first().waitFor({ state: 'visible', timeout: UI_MS });
  }
  await sidebar.locator('.monaco-list-row').filter({ hasText: 'down' }).locator('.codicon-circle-slash').first().waitFor({ timeout: UI_MS });
  await sidebar.locator('.monaco-list-row').filter({ hasText: 'slow' }).locator('.codicon-warning').first().waitFor({ timeout: UI_MS });
  await sidebar.locator('.monaco-list-row').filter({ hasText: 'fast' }).locator('.codicon-pass-filled').first().waitFor({ timeout: UI_MS });
  const text = await sidebar.innerText();
  assert.match(text, /main/);
  assert.match(text, /active · 1\/3 healthy/);
  assert.match(text, /probe in/);
});

test('Add Keys from the palette stores keys that appear as suffixes under the endpoint', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(first);
  await first.runCommand('Switchyard: Add Keys');
  await pickInQuickInput(first, 'main / fast');
  const input = first.page.locator('.quick-input-widget input.input');
  await first.page.locator('.quick-input-widget .quick-input-title').filter({ hasText: 'Add Keys to main/fast' }).first().waitFor({ state: 'visible', timeout: UI_MS });
  // Keys pasted one per line: the workbench's one-line input turns the newlines into spaces.
  await first.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: first.server.url });
  await first.page.evaluate((text) => (globalThis as unknown as BrowserGlobals).navigator.clipboard.writeText(text), 'sk-ant-demo-key-0001a1b2\nsk-ant-demo-key-0002c3d4\n');
  await input.focus();
  await first.page.keyboard.press('Control+V');
  await first.page.locator('.quick-input-widget').filter({ hasText: '2 keys' }).first().waitFor({ state: 'visible', timeout: UI_MS });
  await first.page.keyboard.press('Enter');
  await waitUntil('the confirmation', async () => (await first!.notifications()).find((n) => n.includes('Added 2 keys to main/fast')));
  const sidebar = await first.openView('Switchyard');
  await sidebar.locator('.monaco-list-row').filter({ hasText: /^fast/ }).first().click();
  await sidebar.locator('.monaco-list-row').filter({ hasText: '…a1b2' }).first().waitFor({ state: 'visible', timeout: UI_MS });
  await sidebar.locator('.monaco-list-row').filter({ hasText: '…c3d4' }).first().waitFor({ state: 'visible', timeout: UI_MS });
  assert.ok(!(await sidebar.innerText()).includes('sk-ant-demo'), 'the tree shows only suffixes');
  await first.page.mouse.move(5, 5);
  await first.screenshot('switchyard-view');
});

test('Tail Logs from the palette shows request lines as they happen', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(first);
  await first.runCommand('Switchyard: Tail Logs');
  const rows = first.page.frameLocator('iframe.webview').frameLocator('#active-frame').locator('#rows tr');
  for (let i = 0; i < 6; i++) assert.strictEqual((await post(port)).status, 200);
  await waitUntil('request rows in the tail view', async () => ((await rows.count()) >= 6 ? true : undefined));
  const text = await rows.last().innerText();
  assert.match(text, /POST \/v1\/messages/);
  assert.match(text, /\bOK\b/);
  await first.page.mouse.move(5, 5);
  await first.screenshot('switchyard-tail');
});

test('Copy Base URL from the palette tells the URL', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(first);
  await first.runCommand('Switchyard: Copy Base URL');
  await waitUntil('the message with the URL', async () => (await first!.notifications()).find((n) => n.includes(`http://127.0.0.1:${port}`)));
});

test('Switch Cluster from the palette sends the next request to the other cluster', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(first);
  await first.runCommand('Switchyard: Switch Cluster');
  await pickInQuickInput(first, 'backup');
  await first.waitForStatusBarText(new RegExp(`Switchyard 1/1 · :${port}`), UI_MS);
  const r = await post(port);
  assert.strictEqual(r.status, 200);
  assert.strictEqual(r.endpoint, 'reserve');
  const sidebar = await first.openView('Switchyard');
  await sidebar.locator('.monaco-list-row').filter({ hasText: /backup.*active/ }).first().waitFor({ state: 'visible', timeout: UI_MS });
  await first.screenshot('switchyard-switched');
});

test('a second window on the same port does not crash, shows the first one’s stats, and takes over when it closes', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(first);
  // Its own user-data dir with the same settings, as a second VS Code window of the same user would have.
  second = await Workbench.start({ settings, browser });
  // The second window's own settings say "main"; it shows what the first window's proxy serves ("backup").
  await second.waitForStatusBarText(new RegExp(`Switchyard 1/1 · :${port}`), 30_000);
  const sidebar = await second.openView('Switchyard');
  await sidebar.locator('.monaco-list-row').filter({ hasText: 'Served by another window' }).first().waitFor({ state: 'visible', timeout: UI_MS });
  await second.screenshot('switchyard-second-window');
  assert.ok(!/Activating extension 'switchyard\.switchyard' failed/i.test(second.server.extensionHostLog()));
  assert.strictEqual((await post(port)).status, 200);

  await first.close();
  first = undefined;
  await waitUntil('the second window to serve', async () => (await sidebar.locator('.monaco-list-row').filter({ hasText: /^Serving/ }).count()) > 0 || undefined, 30_000);
  const r = await post(port);
  assert.strictEqual(r.status, 200);
  // The second window's settings make "main" active.
  assert.strictEqual(r.endpoint, 'fast');
});
