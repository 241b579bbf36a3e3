// Drives a code-server workbench with the packaged Switchyard extension in headless Chromium, for browser tests.
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Locator, Page } from 'playwright-core';
import { CodeServer, REPO_ROOT, startCodeServer } from '../vscode/host/codeServer';
import { launchBrowser, openWorkbenchPage } from '../vscode/host/browser';
import { packageSwitchyard } from '../vscode/host/vsix';

export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts');
const UI_TIMEOUT_MS = 15_000;

export interface WorkbenchOptions {
  /** A prebuilt Switchyard .vsix; packaged from the repo (once per process) when absent. */
  vsix?: string;
  /** More .vsix files or extension ids to install. */
  extraExtensions?: string[];
  /** User settings seeded into the instance's own user-data dir. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and its extension host. */
  env?: NodeJS.ProcessEnv;
  /** Folder to open; a fresh empty one by default. */
  workspace?: string;
  /** Share one Chromium between instances; a Workbench launches (and closes) its own otherwise. */
  browser?: Browser;
  /** Keep the instance's temp dir (user data, logs) after close. */
  keep?: boolean;
  /** The browser's time zone (IANA name); the machine's when absent. */
  timezoneId?: string;
}

let packaged: Promise<string> | undefined;

function switchyardVsix(options: WorkbenchOptions): Promise<string> {
  if (options.vsix) return Promise.resolve(options.vsix);
  if (process.env.SWITCHYARD_VSIX) return Promise.resolve(process.env.SWITCHYARD_VSIX);
  packaged ??= packageSwitchyard();
  return packaged;
}

function cssString(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-');
}

/** One code-server instance (own user-data dir, extensions dir and port) and a browser page on its workbench. */
export class Workbench {
  private constructor(
    readonly server: CodeServer,
    readonly page: Page,
    private readonly browser: Browser,
    private readonly ownsBrowser: boolean,
  ) {}

  static async start(options: WorkbenchOptions = {}): Promise<Workbench> {
    const extensions = [await switchyardVsix(options), ...(options.extraExtensions ?? [])];
    const server = await startCodeServer({ extensions, settings: options.settings, env: options.env, workspace: options.workspace, keep: options.keep });
    let browser = options.browser;
    try {
      browser ??= await launchBrowser();
      const page = await openWorkbenchPage(server, browser, { timezoneId: options.timezoneId });
      return new Workbench(server, page, browser, !options.browser);
    } catch (err) {
      if (browser && !options.browser) await browser.close().catch(() => undefined);
      await server.stop();
      throw err;
    }
  }

  /** Clicks the activity-bar icon whose aria-label starts with `titlePrefix` (unless its view is already open). */
  async openView(titlePrefix: string): Promise<Locator> {
    const item = this.page.locator('.part.activitybar .action-item').filter({
      has: this.page.locator(`.action-label[aria-label^=${cssString(titlePrefix)}]`),
    });
    await item.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    if ((await item.first().getAttribute('aria-expanded')) !== 'true') await item.first().click();
    const sidebar = this.page.locator('.part.sidebar');
    await sidebar.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    return sidebar;
  }

  /** The status bar's visible text, items separated by newlines. */
  async statusBarText(): Promise<string> {
    return this.page.locator('.part.statusbar').innerText();
  }

  /** The status-bar item whose text contains `text` (or matches it). */
  statusBarItem(text: string | RegExp): Locator {
    return this.page.locator('.part.statusbar .statusbar-item').filter({ hasText: text });
  }

  /** Waits until the status bar shows `text` and returns its whole text. */
  async waitForStatusBarText(text: string | RegExp, timeout = UI_TIMEOUT_MS): Promise<string> {
    await this.statusBarItem(text).first().waitFor({ state: 'visible', timeout });
    return this.statusBarText();
  }

  /** Runs a command by its full palette title (e.g. `Switchyard: Show Log`) through the F1 command palette. */
  async runCommand(title: string): Promise<void> {
    const palette = this.page.locator('.quick-input-widget');
    await this.page.keyboard.press('F1');
    const input = palette.locator('input.input');
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await input.fill(`>${title}`);
    const row = palette
      .locator('.monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) });
    try {
      await row.first().click({ timeout: UI_TIMEOUT_MS });
    } catch (err) {
      const offered = await palette.locator('.monaco-list-row .label-name').allInnerTexts();
      await this.page.keyboard.press('Escape');
      throw new Error(`command "${title}" not in the palette; offered: ${JSON.stringify(offered)}`, { cause: err });
    }
    await palette.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS }).catch(() => undefined);
  }

  /** Texts of the notification toasts currently shown. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
  }

  /** Saves a full-window screenshot as `test-artifacts/<name>.png` and returns its path. */
  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const file = path.join(ARTIFACTS_DIR, `${safeFileName(name)}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Closes the page (and the browser if this Workbench launched it) and stops code-server. */
  async close(): Promise<void> {
    await this.page.context().close().catch(() => undefined);
    if (this.ownsBrowser) await this.browser.close().catch(() => undefined);
    await this.server.stop();
  }
}
