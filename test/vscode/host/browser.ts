// Launches headless Chromium with playwright-core and opens a code-server workbench in it.
import { Browser, chromium, Page } from 'playwright-core';
import type { CodeServer } from './codeServer';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const WORKBENCH_TIMEOUT_MS = 60_000;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.SWITCHYARD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export interface PageOptions {
  /** The browser's time zone (IANA name), when it should differ from the machine's. */
  timezoneId?: string;
}

/** Opens the workbench in a new browser context and waits until its status bar is rendered. */
export async function openWorkbenchPage(server: CodeServer, browser: Browser, options: PageOptions = {}): Promise<Page> {
  // Without the clipboard permissions `vscode.env.clipboard` reads '' in headless Chromium, as if nothing was copied.
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'], timezoneId: options.timezoneId });
  const page = await context.newPage();
  await page.goto(server.workbenchUrl());
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: WORKBENCH_TIMEOUT_MS });
  return page;
}
