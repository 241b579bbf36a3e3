// A new user adds the first cluster keyboard-only in a real workbench: Escape leaves nothing; the URL probe reports a failing upstream; the tree shows the cluster only at the end.
import * as assert from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { after, before, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { freePort } from '../../src/core/ports';
import { Workbench } from './workbench';

const TIMEOUT_MS = 180_000;
const UI_MS = 20_000;

let workbench: Workbench | undefined;
let failing: http.Server | undefined;
let failingPort = 0;

function widget(wb: Workbench): Locator {
  return wb.page.locator('.quick-input-widget');
}

/** The settings a user would find in settings.json. */
function userSettings(wb: Workbench): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(wb.server.userDataDir, 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;
}

/** F1, the command's title (or the words typed to find it), Enter: the palette's way, no mouse. */
async function runFromKeyboard(wb: Workbench, title: string, typed = title): Promise<void> {
  await wb.page.keyboard.press('F1');
  const input = widget(wb).locator('input.input');
  await input.waitFor({ state: 'visible', timeout: UI_MS });
  await wb.page.keyboard.type(typed);
  const exact = new RegExp(`^${title}$`);
  // The palette may rank other commands first: arrow down to the one asked for.
  const focused = widget(wb).locator('.monaco-list-row.focused .label-name');
  await focused.waitFor({ state: 'visible', timeout: UI_MS });
  let label = await focused.innerText();
  for (let i = 0; i < 30 && !exact.test(label); i++) {
    const before = label;
    await wb.page.keyboard.press('ArrowDown');
    for (let tries = 0; tries < 50 && label === before; tries++) label = await focused.innerText();
  }
  assert.match(label, exact);
  await wb.page.keyboard.press('Enter');
}

/** Waits until the wizard's title bar shows step `n` of `total`, and returns the title text. */
async function atStep(wb: Workbench, n: number, total: number): Promise<string> {
  const title = widget(wb).locator('.quick-input-title');
  await title.filter({ hasText: `(${n}/${total})` }).waitFor({ state: 'visible', timeout: UI_MS });
  return title.innerText();
}

/** Waits until the element stops moving (a toast slides in). */
async function settled(element: Locator): Promise<void> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    const box = JSON.stringify(await element.boundingBox());
    if (box === last) return;
    last = box;
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  failing = http.createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"type":"error","error":{"type":"api_error","message":"down for maintenance"}}');
  });
  await new Promise<void>((r) => failing!.listen(0, '127.0.0.1', r));
  failingPort = (failing.address() as net.AddressInfo).port;
  workbench = await Workbench.start({ settings: { 'switchyard.port': await freePort() } });
  // The extension is active (its commands are in the palette) once its status-bar item shows.
  await workbench.waitForStatusBarText('Switchyard', 60_000);
  await runFromKeyboard(workbench, 'Switchyard: Focus on Endpoints View', 'Switchyard');
  await workbench.page.locator('.part.sidebar').getByText('Start with a cluster').waitFor({ state: 'visible', timeout: UI_MS });
}, { timeout: TIMEOUT_MS });

after(async () => {
  await workbench?.close();
  await new Promise((r) => failing?.close(r));
}, { timeout: TIMEOUT_MS });

test('Escape during Add Cluster leaves no cluster behind', { timeout: TIMEOUT_MS }, async () => {
  const wb = workbench!;
  await runFromKeyboard(wb, 'Switchyard: Add Cluster');
  assert.match(await atStep(wb, 1, 4), /Switchyard: Add Cluster/);
  await wb.page.keyboard.press('Enter');
  await atStep(wb, 2, 4);
  await wb.page.keyboard.press('Enter');
  await atStep(wb, 3, 4);
  await wb.screenshot('wizard-step3-escape');
  await wb.page.keyboard.press('Escape');
  await widget(wb).waitFor({ state: 'hidden', timeout: UI_MS });
  assert.strictEqual(userSettings(wb)['switchyard.clusters'], undefined);
  // The welcome view stays: no empty "main" cluster appeared.
  assert.ok(await wb.page.locator('.part.sidebar').getByText('Start with a cluster').isVisible());
  assert.doesNotMatch(await wb.statusBarText(), /Switchyard 0\/0/);
});

test('a new user adds the first cluster keyboard-only and is told the upstream answers 503', { timeout: TIMEOUT_MS }, async () => {
  const wb = workbench!;
  await runFromKeyboard(wb, 'Switchyard: Add Cluster');
  await atStep(wb, 1, 4);
  assert.strictEqual(await widget(wb).locator('input.input').inputValue(), 'main');
  await wb.page.keyboard.press('Enter');
  await atStep(wb, 2, 4);
  await widget(wb).locator('.monaco-list-row.focused', { hasText: 'anthropic' }).waitFor({ state: 'visible', timeout: UI_MS });
  await wb.page.keyboard.press('Enter');
  await atStep(wb, 3, 4);
  // The official URL is prefilled and selected: typing replaces it.
  await wb.page.keyboard.type(`127.0.0.1:${failingPort}`);
  await widget(wb).getByText(`Enter checks http://127.0.0.1:${failingPort}`).waitFor({ state: 'visible', timeout: UI_MS });
  await wb.page.keyboard.press('Enter');
  const message = widget(wb).locator('.quick-input-message');
  await message.filter({ hasText: 'answered 503' }).waitFor({ state: 'visible', timeout: UI_MS });
  assert.match(await message.innerText(), new RegExp(`^http://127\\.0\\.0\\.1:${failingPort}: answered 503 in \\d+ ms — the endpoint is up but failing\\. Press Enter to add it anyway`));
  assert.strictEqual(await widget(wb).locator('input.input').inputValue(), `http://127.0.0.1:${failingPort}`);
  assert.strictEqual(userSettings(wb)['switchyard.clusters'], undefined, 'nothing written while the wizard runs');
  await wb.screenshot('wizard-step3-probe');
  await wb.page.keyboard.press('Enter');
  await atStep(wb, 4, 4);
  assert.strictEqual(await widget(wb).locator('input.input').inputValue(), 'local');
  await wb.page.keyboard.type('maintenance-relay');
  await wb.screenshot('wizard-step4-name');
  await wb.page.keyboard.press('Enter');
  await widget(wb).waitFor({ state: 'hidden', timeout: UI_MS });
  const sidebar = wb.page.locator('.part.sidebar');
  await sidebar.locator('.monaco-list-row').filter({ hasText: 'maintenance-relay' }).first().waitFor({ state: 'visible', timeout: UI_MS });
  assert.deepStrictEqual(userSettings(wb)['switchyard.clusters'], [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'maintenance-relay', baseUrl: `http://127.0.0.1:${failingPort}` }] }]);
  const toast = wb.page.locator('.notifications-toasts .notification-list-item').filter({ hasText: 'Added cluster "main"' });
  await toast.first().waitFor({ state: 'visible', timeout: UI_MS });
  assert.match(await toast.first().innerText(), /When checked, it answered 503 in \d+ ms — the endpoint is up but failing\./);
  await toast.first().getByRole('button', { name: 'Add Keys' }).waitFor({ state: 'visible', timeout: UI_MS });
  await settled(toast.first());
  await wb.page.mouse.move(5, 5);
  await wb.screenshot('wizard-done-tree');
});
