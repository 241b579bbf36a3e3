// A read-only `switchyard-report:` document with the redacted report, to copy by hand when the clipboard cannot be reached.

import * as vscode from 'vscode';
import { Disposable } from './dispose';

export const REPORT_SCHEME = 'switchyard-report';

/** One virtual Markdown document: read-only, so closing it never asks to save. */
export class ReportDocumentProvider extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly _onDidChange = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this._onDidChange.event;
  readonly uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: '/Switchyard diagnostics (redacted).md' });
  private text = '';

  constructor() {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this));
  }

  provideTextDocumentContent(): string {
    return this.text;
  }

  /** Shows `text` in an editor (the same one as before, if it is still open). */
  async open(text: string): Promise<vscode.TextEditor> {
    this.text = text;
    this._onDidChange.fire(this.uri);
    const doc = await vscode.workspace.openTextDocument(this.uri);
    return vscode.window.showTextDocument(doc, { preview: true });
  }
}
