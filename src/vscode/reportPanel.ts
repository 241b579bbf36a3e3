// The last diagnostics report, rendered read-only in one webview panel that each new run updates in place.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ReportDoc } from '../diagnostics/reportDoc';
import { Commands } from './constants';
import { Disposable, toDisposable } from './dispose';
import { ReportAction, reportHtml } from './reportHtml';

/*
 * A webview rather than the Markdown preview of a virtual document: the page runs in the user's
 * browser, so under code-server its times are in the user's zone, not the server's; verdicts are
 * words coloured by the theme; and with no document there is nothing that could become dirty.
 */

export const REPORT_VIEW_TYPE = 'switchyard.diagnosticsReport';

/** The page's buttons and the commands they run. */
const ACTIONS: readonly (ReportAction & { command: string })[] = [
  { id: 'copy', label: 'Copy Redacted Report', command: Commands.copyDiagnosticsReport },
  { id: 'rerun', label: 'Run Again', command: Commands.runDiagnostics, secondary: true },
];

export class ReportPanel extends Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor() {
    super();
    this._register(toDisposable(() => this.panel?.dispose()));
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** The page shown now (for tests: what the user reads, before the page's script redraws the times). */
  get html(): string | undefined {
    return this.panel?.webview.html;
  }

  /** Shows the report, replacing the one shown before in the same panel. */
  show(doc: ReportDoc): void {
    const panel = this.panel ?? this.create();
    panel.webview.html = reportHtml(doc, { nonce: randomBytes(16).toString('base64'), actions: ACTIONS });
    panel.reveal(panel.viewColumn ?? vscode.ViewColumn.Active);
  }

  private create(): vscode.WebviewPanel {
    // No local resources: the page is self-contained, and its script only posts button clicks.
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, 'Switchyard Diagnostics', vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [] });
    panel.webview.onDidReceiveMessage((m: { action?: unknown }) => {
      const action = ACTIONS.find((a) => a.id === m?.action);
      // The command reports its own failures; nothing is left to do with them here.
      if (action) vscode.commands.executeCommand(action.command).then(undefined, () => undefined);
    });
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
    this.panel = panel;
    return panel;
  }
}
