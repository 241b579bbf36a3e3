// "Switchyard: Open Dashboard" in a real workbench (code-server in Chromium): one healthy and one failing endpoint under traffic, light and dark.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, test } from 'node:test';
import type { Browser, FrameLocator } from 'playwright-core';
import { SimulatedUpstream, startSimulatedUpstream } from '../../src/core/demo';
import { freePort } from '../../src/core/ports';
import { launchBrowser } from '../vscode/host/browser';
import { Workbench } from './workbench';

const TIMEOUT_MS = 180_000;
const UI_MS = 20_000;

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const getComputedStyle: any;

let browser: Browser | undefined;
let wb: Workbench | undefined;
let port = 0;
let sent = 0;
const upstreams: SimulatedUpstream[] = [];

function post(): Promise<number> {
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: `dashboard ${++sent}` }] });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/messages', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': 'sk-client-key-0000' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = UI_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The dashboard's page inside the webview's two frames. */
function dashboardFrame(w: Workbench): FrameLocator {
  return w.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

before(async () => {
  upstreams.push(await startSimulatedUpstream('good', 0, 15), await startSimulatedUpstream('bad', 1, 5));
  port = await freePort();
  browser = await launchBrowser();
  wb = await Workbench.start({
    browser,
    settings: {
      'workbench.colorTheme': 'Default Light Modern',
      'switchyard.port': port,
      'switchyard.clusters': [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'good', baseUrl: upstreams[0].url }, { name: 'bad', baseUrl: upstreams[1].url }] }],
      'switchyard.health': { unhealthyAfter: 1, ejectAfter: 1, ejectionBaseMs: 600, ejectionMaxMs: 1200 },
    },
  });
  await waitUntil('the proxy to answer', async () => (await post()) === 200, 60_000);
}, { timeout: TIMEOUT_MS });

after(async () => {
  await wb?.close();
  await browser?.close();
  await Promise.all(upstreams.map((u) => u.close()));
}, { timeout: TIMEOUT_MS });

test('Open Dashboard from the palette shows both endpoints’ series, the failing one’s state change and the request rows; light and dark screenshots', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(wb);
  // Traffic before and while the dashboard is open: the bad endpoint is tried, ejected, probed and ejected again.
  const statuses: number[] = [];
  const traffic = async (n: number) => {
    for (let i = 0; i < n; i++) {
      statuses.push(await post());
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await traffic(20);
  await wb.runCommand('Switchyard: Open Dashboard');
  const frame = dashboardFrame(wb);
  await frame.locator('figure[data-chart="Requests / min"] canvas').first().waitFor({ timeout: UI_MS });
  await traffic(20);
  assert.ok(statuses.every((s) => s === 200), `every request saved by the good endpoint: ${statuses}`);

  // The series come from the proxy process's history, over the extension's messages.
  let legend = '';
  await waitUntil('both endpoints in the requests chart', async () => {
    legend = await frame.locator('figure[data-chart="Requests / min"] .u-legend').innerText();
    return /good\W*\d/.test(legend) && /bad\W*\d/.test(legend);
  }).catch(async (err) => {
    await wb!.screenshot('dashboard-vscode-failed');
    throw new Error(`${(err as Error).message}; the legend said ${JSON.stringify(legend)}`);
  });
  const box = (await frame.locator('figure[data-chart="Health"] .u-over').boundingBox())!;
  await waitUntil('the failing endpoint’s ejection in the health chart', async () => {
    await wb!.page.mouse.move(box.x + box.width - 3, box.y + 5);
    return /bad: (open|unhealthy)/.test(await frame.locator('figure[data-chart="Health"] .band-readout').innerText());
  });
  const endpoints = await frame.locator('section.endpoints .data-table').innerText();
  assert.match(endpoints, /good\s+healthy/);
  assert.match(endpoints, /bad\s+(open|unhealthy|degraded)/);
  const rows = frame.locator('#rows tr[data-id]');
  await waitUntil('the request rows', async () => (await rows.count()) >= 40);
  await wb.page.mouse.move(2, 2);
  await wb.screenshot('dashboard-vscode-light');

  const lightBg = await frame.locator('body').evaluate(() => getComputedStyle(document.body).backgroundColor);
  await wb.runCommand('Preferences: Toggle between Light/Dark Themes');
  await waitUntil('the page in the dark theme', async () => (await frame.locator('body').evaluate(() => getComputedStyle(document.body).backgroundColor)) !== lightBg);
  await frame.locator('figure[data-chart="Requests / min"] canvas').first().waitFor({ timeout: UI_MS });
  await wb.screenshot('dashboard-vscode-dark');
});
