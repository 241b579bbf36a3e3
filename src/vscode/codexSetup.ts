// "Point Codex at Switchyard": shows the one-line change to Codex's config.toml, writes it only on consent, and takes it back on request.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codexConfigFile, planCodexEdit, readCodexPointing, undoCodexEdit } from '../clients/codexConfig';
import { Disposable } from './dispose';
import type { ProxyService } from './proxyService';

export type CodexSetupResult = 'written' | 'unchanged' | 'cancelled' | 'custom-provider' | 'no-proxy' | 'nothing-to-undo' | 'undone';

export interface CodexSetupArgs {
  /** Skip the confirmation (tests, or a caller that already asked). */
  confirm?: boolean;
  /** Do not open the diff view. */
  preview?: boolean;
}

const PREVIEW_SCHEME = 'switchyard-preview';
const OFFER_DISMISSED = 'switchyard.codexOfferDismissed';

async function readOrEmpty(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes beside the file and renames over it: Codex never reads a half-written config; the file's mode is kept. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const mode = await fs.promises.stat(file).then((s) => s.mode & 0o777, () => 0o600);
  const tmp = `${file}.switchyard-${process.pid}.tmp`;
  await fs.promises.writeFile(tmp, text, { mode });
  await fs.promises.rename(tmp, file);
}

export class CodexSetup extends Disposable {
  private readonly previews = new Map<string, string>();
  private offered = false;

  constructor(
    private readonly service: ProxyService,
    private readonly state: vscode.Memento,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, { provideTextDocumentContent: (uri) => this.previews.get(uri.path) ?? '' }));
  }

  /** The file Codex reads (CODEX_HOME, else ~/.codex). */
  get file(): string {
    return codexConfigFile(this.env);
  }

  /** The base URL Codex should use: the proxy's, with /v1 as Codex expects. */
  private proxyBaseUrl(): string | undefined {
    const v = this.service.view();
    const config = this.service.currentConfig;
    const root = v.url ?? (config ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${v.port}` : undefined);
    return root ? `${root}/v1` : undefined;
  }

  async point(a: CodexSetupArgs = {}): Promise<CodexSetupResult> {
    const url = this.proxyBaseUrl();
    if (!url) {
      void vscode.window.showWarningMessage('Switchyard has no cluster yet, so there is nothing to point Codex at. Add an openai cluster first.');
      return 'no-proxy';
    }
    const before = await readOrEmpty(this.file);
    const plan = planCodexEdit(before ?? '', url);
    if (plan.kind === 'unchanged') {
      void vscode.window.showInformationMessage(`Codex is already pointed at Switchyard (${this.file}).`);
      return 'unchanged';
    }
    if (plan.kind === 'custom-provider') {
      void vscode.window.showWarningMessage(
        `Codex uses its custom provider "${plan.provider}"${plan.baseUrl ? ` (${plan.baseUrl})` : ''} from ${this.file}, so openai_base_url would not take effect. Set that provider's base_url to ${url} yourself, or switch model_provider back to the built-in one.`,
      );
      return 'custom-provider';
    }
    if (a.preview !== false) await this.showDiff(before, plan.text);
    const write = 'Write config.toml';
    const detail = `Sets only openai_base_url = "${url}"${plan.previous ? ` (it was: ${plan.previous})` : ''}, marked so "Switchyard: Undo Codex Configuration" takes it back. Nothing else in the file changes.`;
    const agreed = a.confirm || (await vscode.window.showInformationMessage(`Point Codex at Switchyard in ${this.file}?`, { modal: true, detail }, write)) === write;
    await this.closeDiffs();
    if (!agreed) return 'cancelled';
    await writeAtomically(this.file, plan.text);
    await this.state.update(OFFER_DISMISSED, true);
    void vscode.window.showInformationMessage(`Codex now goes through Switchyard (${this.file}). New \`codex\` sessions use it; it tries a WebSocket first and falls back to HTTP at once (it logs that fallback as an error line).`);
    return 'written';
  }

  async undo(a: CodexSetupArgs = {}): Promise<CodexSetupResult> {
    const before = await readOrEmpty(this.file);
    const after = before === undefined ? undefined : undoCodexEdit(before);
    if (before === undefined || after === undefined) {
      void vscode.window.showInformationMessage(`Switchyard has not changed ${this.file}; nothing to undo.`);
      return 'nothing-to-undo';
    }
    if (a.preview !== false) await this.showDiff(before, after);
    const undo = 'Undo';
    const agreed = a.confirm || (await vscode.window.showInformationMessage(`Take Switchyard's line out of ${this.file}?`, { modal: true, detail: 'Codex then talks to its previous base URL (or OpenAI directly) again.' }, undo)) === undo;
    await this.closeDiffs();
    if (!agreed) return 'cancelled';
    await writeAtomically(this.file, after);
    void vscode.window.showInformationMessage(`Codex no longer goes through Switchyard (${this.file}).`);
    return 'undone';
  }

  /** Whether Codex goes through this proxy now, so a menu offers the step that applies (point or undo). */
  async pointing(): Promise<'pointed' | 'not-pointed' | 'no-proxy'> {
    const url = this.proxyBaseUrl();
    if (!url) return 'no-proxy';
    const text = await readOrEmpty(this.file).catch(() => undefined);
    return readCodexPointing(text ?? '').effectiveBaseUrl === url ? 'pointed' : 'not-pointed';
  }

  /**
   * Offers once per window, when an openai cluster exists and Codex is set up here but not pointed at
   * the proxy: Codex ignores the OPENAI_BASE_URL that terminals get.
   */
  async offer(): Promise<void> {
    const config = this.service.currentConfig;
    if (this.offered || this.state.get<boolean>(OFFER_DISMISSED) || !config?.clusters.some((c) => c.protocol === 'openai')) return;
    if (!fs.existsSync(path.dirname(this.file))) return;
    const text = await readOrEmpty(this.file);
    const url = this.proxyBaseUrl();
    if (!url || readCodexPointing(text ?? '').effectiveBaseUrl === url) return;
    this.offered = true;
    const show = 'Show the Change';
    const never = "Don't Ask Again";
    const choice = await vscode.window.showInformationMessage('Codex ignores OPENAI_BASE_URL: it reads ~/.codex/config.toml. Point it at Switchyard there?', show, 'Not Now', never);
    if (choice === show) await this.point();
    else if (choice === never) await this.state.update(OFFER_DISMISSED, true);
  }

  private async showDiff(before: string | undefined, after: string): Promise<void> {
    const id = `/${Date.now().toString(36)}/config.toml`;
    this.previews.set(id, after);
    const right = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: id });
    let left: vscode.Uri;
    if (before === undefined) {
      this.previews.set(`${id}.empty`, '');
      left = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `${id}.empty` });
    } else {
      left = vscode.Uri.file(this.file);
    }
    await vscode.commands.executeCommand('vscode.diff', left, right, `Codex config.toml ↔ with Switchyard's change`, { preview: true });
  }

  /** Closes the change's diff once it is answered: a preview left open would show a change that was made or refused. */
  private async closeDiffs(): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === PREVIEW_SCHEME);
    if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
    this.previews.clear();
  }
}
