// A read-only `switchyard:/stats.json` document with the proxy's live stats (the same JSON as /_switchyard/stats).

import * as vscode from 'vscode';
import { STATS_SCHEME, STATS_URI } from './constants';
import { Disposable } from './dispose';
import type { ProxyService } from './proxyService';

export class StatsDocumentProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly _onDidChange = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this._onDidChange.event;
  private readonly uri = vscode.Uri.parse(STATS_URI);
  private lastFired = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly service: ProxyService) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(STATS_SCHEME, this));
    this._register(service.onDidChange(() => this.changed()));
    this._register({ dispose: () => this.timer && clearTimeout(this.timer) });
  }

  provideTextDocumentContent(): string {
    const v = this.service.view();
    const body = {
      mode: v.mode,
      url: v.url ?? null,
      ...(v.owner ? { servedBy: v.owner } : {}),
      ...(v.problem ? { problem: v.problem } : {}),
      stats: v.stats ?? null,
    };
    return `${JSON.stringify(body, null, 2)}\n`;
  }

  async open(): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(this.uri);
    if (doc.languageId !== 'json') await vscode.languages.setTextDocumentLanguage(doc, 'json');
    return vscode.window.showTextDocument(doc, { preview: true });
  }

  /** At most one document update a second, and only while it is open. */
  private changed(): void {
    if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === this.uri.toString())) return;
    if (this.timer) return;
    const wait = Math.max(0, 1000 - (Date.now() - this.lastFired));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastFired = Date.now();
      this._onDidChange.fire(this.uri);
    }, wait);
  }
}
