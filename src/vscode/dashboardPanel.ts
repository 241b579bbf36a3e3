// The dashboard page in a VS Code webview panel (also Tail Logs, in its requests-only mode), fed by a DashboardSession over postMessage.

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { DashboardMode, PageMessage, RequestFilter } from '../dashboard/feed';
import { dashboardHtml } from '../dashboard/html';
import { DashboardSession, DashboardSource } from '../dashboard/session';
import { EXTENSION_ID } from './constants';
import { Disposable, toDisposable } from './dispose';
import type { RequestLogBuffer } from './log';
import type { ProxyService } from './proxyService';

export type { DashboardSource } from '../dashboard/session';

export interface PagePanelOptions {
  viewType: string;
  title: string;
  mode: DashboardMode;
  source: DashboardSource;
  /** Where dist/ is; the installed Switchyard extension's when omitted. */
  extensionUri?: vscode.Uri;
  /** The page changed its request filter. */
  onFilter?(filter: RequestFilter, text: string): void;
}

/**
 * One webview panel showing the page bundle (dist/dashboard.js and .css, nothing else may load); opening
 * it again reveals it. Its context is not retained while hidden: VS Code drops the page, the session
 * stops posting, and the page's `ready` restarts it with the state the page kept (range, cluster, filter).
 */
export class PagePanel extends Disposable {
  private panel: vscode.WebviewPanel | undefined;
  readonly session: DashboardSession;

  constructor(private readonly o: PagePanelOptions) {
    super();
    this.session = new DashboardSession(o.source, {
      mode: o.mode,
      post: (m) => void this.panel?.webview.postMessage(m),
      onFilter: o.onFilter,
    });
    this._register(toDisposable(() => this.session.dispose()));
    this._register(toDisposable(() => this.panel?.dispose()));
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  get isVisible(): boolean {
    return this.panel?.visible === true;
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal(undefined, true);
      return;
    }
    const dist = vscode.Uri.joinPath(this.extensionUri(), 'dist');
    const panel = vscode.window.createWebviewPanel(this.o.viewType, this.o.title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [dist] });
    this.panel = panel;
    const nonce = randomBytes(16).toString('base64');
    panel.webview.html = dashboardHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'dashboard.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'dashboard.css')).toString(),
      nonce,
      cspSource: panel.webview.cspSource,
      mode: this.o.mode,
      host: 'vscode',
    });
    panel.webview.onDidReceiveMessage((m: PageMessage) => this.session.receive(m));
    panel.onDidChangeViewState(() => {
      // Hidden, VS Code drops the page; shown, it loads it again and its `ready` restarts the session.
      // Starting here as well covers a page that was kept: a second start only resends the state.
      if (panel.visible) this.session.start();
      else this.session.pause();
    });
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.session.pause();
    });
  }

  private extensionUri(): vscode.Uri {
    const uri = this.o.extensionUri ?? vscode.extensions.getExtension(EXTENSION_ID)?.extensionUri;
    if (!uri) throw new Error(`the ${EXTENSION_ID} extension is not installed, so its dist/ cannot be found`);
    return uri;
  }
}

/** "Switchyard: Open Dashboard": per endpoint and key, over the last 15 min / 1 h / 6 h, and the request table. */
export class DashboardPanel extends Disposable {
  private readonly page: PagePanel;

  constructor(private readonly service: ProxyService, requests: RequestLogBuffer, extensionUri?: vscode.Uri) {
    super();
    this.page = this._register(new PagePanel({ viewType: 'switchyard.dashboard', title: 'Switchyard: Dashboard', mode: 'dashboard', source: windowSource(service, requests), extensionUri }));
    this._register(service.onDidChangeMode(() => this.page.session.setBanner(this.banner())));
    // Following another window starts from its backlog: the page starts over with it.
    this._register(requests.onDidReplace(() => this.page.session.isLive && this.page.session.start()));
  }

  get isOpen(): boolean {
    return this.page.isOpen;
  }

  get isVisible(): boolean {
    return this.page.isVisible;
  }

  show(): void {
    this.page.session.setBanner(this.banner());
    this.page.show();
  }

  private banner(): string {
    const v = this.service.view();
    if (v.mode === 'remote') return `The proxy on ${v.url} runs in another VS Code window, which keeps its history: the charts are there (or at ${v.url}/_switchyard/dashboard); its state and requests are shown here live.`;
    if (v.mode !== 'serving') return `The proxy is not running (${v.mode}); the charts resume when it serves.`;
    return '';
  }
}

/**
 * The dashboard's data in a window: the snapshots and requests this window already receives (pushed by its
 * proxy process, or followed from another window), and the history read from the proxy process on demand.
 */
export function windowSource(service: ProxyService, requests: RequestLogBuffer): DashboardSource {
  return {
    snapshot: () => service.view().stats,
    history: {
      view: (range, cluster) => service.history(range, cluster),
      latest: (range, since, cluster) => service.history(range, cluster, since),
    },
    recentRequests: () => requests.all(),
    onSnapshot: (listener) => {
      const sub = service.onDidChange(listener);
      return () => sub.dispose();
    },
    onRequests: (listener) => {
      const sub = requests.onDidAppend(listener);
      return () => sub.dispose();
    },
  };
}
