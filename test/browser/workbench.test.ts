// Opens the Switchyard workbench in headless Chromium and checks the status bar renders; a second instance runs beside it.
import * as assert from 'assert';
import * as fs from 'fs';
import { after, before, test } from 'node:test';
import { Workbench } from './workbench';

const TIMEOUT_MS = 120_000;

let workbench: Workbench | undefined;

before(async () => {
  workbench = await Workbench.start();
}, { timeout: TIMEOUT_MS });

after(async () => {
  await workbench?.close();
}, { timeout: TIMEOUT_MS });

test('the workbench shows a status bar and can be screenshotted', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(workbench);
  assert.ok(await workbench.page.locator('.part.statusbar').isVisible());
  assert.ok((await workbench.page.locator('.part.statusbar .statusbar-item').count()) > 0);
  const file = await workbench.screenshot('workbench');
  assert.ok(fs.statSync(file).size > 0);
});

test('a second instance gets its own port and user data', { timeout: TIMEOUT_MS }, async () => {
  assert.ok(workbench);
  const second = await Workbench.start({ browser: workbench.page.context().browser() ?? undefined });
  try {
    assert.notStrictEqual(second.server.port, workbench.server.port);
    assert.notStrictEqual(second.server.userDataDir, workbench.server.userDataDir);
    assert.ok(await second.page.locator('.part.statusbar').isVisible());
  } finally {
    await second.close();
  }
});
