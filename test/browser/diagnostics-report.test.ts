// Run Diagnostics as a user sees it in the workbench: a rendered, read-only report in the browser's time zone, no emoji, one tab however often it runs.
import * as assert from 'assert';
import * as http from 'http';
import { after, before, test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { SimulatedUpstream, startSimulatedUpstream } from '../../src/core/demo';
import { freePort } from '../../src/core/ports';
import { Workbench } from './workbench';

const TIMEOUT_MS = 180_000;
const UI_MS = 20_000;
/** The server's zone and the browser's differ, as they do when code-server runs on a remote machine. */
const SERVER_ZONE = 'Asia/Kolkata';
const BROWSER_ZONE = 'Asia/Tokyo';
const EMOJI = /[\u{1F000}-\u{1FAFF}\u{2600}-\u{27BF}\u{2B00}-\u{2BFF}\u{FE0F}]|\p{Extended_Pictographic}/u;

let workbench: Workbench | undefined;
let port = 0;
const upstreams: SimulatedUpstream[] = [];

let conversations = 0;

/** One request, each a conversation of its own, so affinity does not pin them all to one endpoint. */
function post(p: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'demo', max_tokens: 8, messages: [{ role: 'user', content: `hi (${++conversations})` }] });
    const req = http.request({ host: '127.0.0.1', port: p, path: '/v1/messages', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': 'sk-client-key-0000' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
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

/** The report page inside its webview (the outer iframe hosts the page's own frame). */
function reportFrame(wb: Workbench): FrameLocator {
  return wb.page.frameLocator('iframe.webview').frameLocator('#active-frame');
}

before(async () => {
  const fast = await startSimulatedUpstream('fast', 0, 20);
  const flaky = await startSimulatedUpstream('flaky', 1, 20);
  upstreams.push(fast, flaky);
  port = await freePort();
  const settings = {
    'switchyard.port': port,
    'switchyard.clusters': [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'fast', baseUrl: fast.url }, { name: 'flaky', baseUrl: flaky.url }, { name: 'down', baseUrl: `http://127.0.0.1:${await freePort()}` }] }],
  };
  workbench = await Workbench.start({ settings, env: { TZ: SERVER_ZONE }, timezoneId: BROWSER_ZONE });
}, { timeout: TIMEOUT_MS });

after(async () => {
  await workbench?.close();
  await Promise.all(upstreams.map((u) => u.close()));
}, { timeout: TIMEOUT_MS });

test('Run Diagnostics renders the report read-only, in the browser\'s zone, without emoji, in one tab; screenshot', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(workbench);
  const wb = workbench;
  await waitUntil('the proxy to answer', async () => ((await post(port)) === 200 ? true : undefined), 60_000);
  for (let i = 0; i < 6; i++) await post(port);

  await wb.runCommand('Switchyard: Run Diagnostics');
  const frame = reportFrame(wb);
  await frame.locator('h1', { hasText: 'Switchyard diagnostics' }).waitFor({ state: 'visible', timeout: UI_MS });
  const text = await frame.locator('body').innerText();

  // Rendered, not Markdown source; verdicts in words; the history from the window's own requests.
  assert.doesNotMatch(text, /\*\*|^#{1,3} |`/m);
  assert.doesNotMatch(text, EMOJI);
  assert.match(text, /\bfailed\b/);
  assert.match(text, /Recent history/);
  assert.match(text, /\d+ attempts? ended [^\n]+ in the last 15 min/);
  assert.doesNotMatch(text, /log\.?file|request log is off/i);
  // The time of the run in the browser's zone, not the server's.
  const when = await frame.locator('main > p time').first().innerText();
  assert.match(when, /\(UTC\+9\)$/);
  assert.strictEqual(await frame.locator('text=(UTC+5:30)').count(), 0);

  const reportTabs = wb.page.locator('.tabs-container .tab').filter({ hasText: 'Switchyard Diagnostics' });
  assert.strictEqual(await reportTabs.count(), 1);
  assert.strictEqual(await wb.page.locator('.tabs-container .tab.dirty').count(), 0, 'an editor waits to be saved');

  await wb.runCommand('Notifications: Clear All Notifications');
  await wb.page.mouse.move(5, 5);
  await wb.screenshot('diagnostics-report');
  await frame.locator('h2', { hasText: 'Recent history' }).evaluate((h) => (h as { scrollIntoView(): void }).scrollIntoView());
  await wb.screenshot('diagnostics-report-history');

  // The page's own buttons: Run Again replaces the page in the same tab; Copy copies.
  await frame.locator('button', { hasText: 'Run Again' }).click();
  await waitUntil('the second run', async () => ((await wb.notifications()).some((n) => n.startsWith('Switchyard diagnostics:')) ? true : undefined));
  await frame.locator('h1', { hasText: 'Switchyard diagnostics' }).waitFor({ state: 'visible', timeout: UI_MS });
  assert.strictEqual(await reportTabs.count(), 1, 'a second report tab');
  await frame.locator('button', { hasText: 'Copy Redacted Report' }).click();
  await waitUntil('the copy to be confirmed', async () => ((await wb.notifications()).some((n) => n.startsWith('Copied the diagnostics report')) ? true : undefined));
  assert.strictEqual(await wb.page.locator('.tabs-container .tab.dirty').count(), 0);
});
