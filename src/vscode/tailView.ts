// "Tail Logs": a webview that streams the request log live, filterable by outcome and text (records are already key-free).

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { RequestRecord } from '../core/log';
import { Disposable } from './dispose';
import type { RequestLogBuffer } from './log';
import type { ProxyService } from './proxyService';

export type TailFilter = 'all' | 'errors' | 'retried';
export const TAIL_FILTERS: readonly TailFilter[] = ['all', 'errors', 'retried'];

/** Whether a record passes an outcome filter (the webview applies the same rule). */
export function matchesFilter(r: RequestRecord, filter: TailFilter): boolean {
  if (filter === 'errors') return r.outcome !== 'OK' && r.outcome !== 'CLIENT_ABORTED';
  if (filter === 'retried') return r.attempts.length > 1;
  return true;
}

interface Row {
  time: string;
  id: string;
  method: string;
  path: string;
  status: number;
  outcome: string;
  endpoint: string;
  key: string;
  ms: number;
  attempts: string;
  error: boolean;
  retried: boolean;
}

function toRow(r: RequestRecord): Row {
  return {
    time: r.time.slice(11, 23),
    id: r.id,
    method: r.method,
    path: r.path.split('?')[0],
    status: r.status,
    outcome: r.outcome,
    endpoint: r.endpoint ?? '—',
    key: r.key ?? '',
    ms: r.durationMs,
    attempts: r.attempts.map((a) => `${a.endpoint}${a.key ? ` ${a.key}` : ''} ${a.status ?? a.cause} ${a.ms}ms`).join(' → '),
    error: matchesFilter(r, 'errors'),
    retried: r.attempts.length > 1,
  };
}

/** The one Tail Logs panel; opening it again reveals it (and may change its filter). */
export class TailLogsPanel extends Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private filter: TailFilter = 'all';
  private text = '';

  constructor(private readonly requests: RequestLogBuffer, private readonly service: ProxyService) {
    super();
    this._register(requests.onDidAppend((batch) => void this.panel?.webview.postMessage({ type: 'append', rows: batch.map(toRow) })));
    this._register(service.onDidChangeMode(() => this.postBanner()));
    this._register({ dispose: () => this.panel?.dispose() });
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** The current filter and how many buffered records pass it. */
  state(): { filter: TailFilter; text: string; matching: number } {
    const text = this.text.toLowerCase();
    const matching = this.requests.all().filter((r) => matchesFilter(r, this.filter) && (!text || JSON.stringify(toRow(r)).toLowerCase().includes(text))).length;
    return { filter: this.filter, text: this.text, matching };
  }

  show(options: { filter?: TailFilter; text?: string } = {}): void {
    if (options.filter) this.filter = options.filter;
    if (options.text !== undefined) this.text = options.text;
    if (this.panel) {
      this.panel.reveal(undefined, true);
      void this.panel.webview.postMessage({ type: 'filter', filter: this.filter, text: this.text });
      return;
    }
    const panel = vscode.window.createWebviewPanel('switchyard.tailLogs', 'Switchyard: Requests', { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: false });
    this.panel = panel;
    panel.webview.html = this.html();
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
    panel.webview.onDidReceiveMessage((m: { type: string; filter?: TailFilter; text?: string }) => {
      if (m.type === 'ready') {
        void panel.webview.postMessage({ type: 'init', rows: this.requests.all().map(toRow), filter: this.filter, text: this.text });
        this.postBanner();
      } else if (m.type === 'filter') {
        if (m.filter && TAIL_FILTERS.includes(m.filter)) this.filter = m.filter;
        if (typeof m.text === 'string') this.text = m.text;
      }
    });
  }

  private postBanner(): void {
    const v = this.service.view();
    let banner = '';
    if (v.mode === 'remote') banner = `The proxy on ${v.url} runs in another VS Code window${v.owner ? ` (pid ${v.owner.pid})` : ''}; its requests are logged there. Requests appear here once this window serves.`;
    else if (v.mode !== 'serving') banner = `The proxy is not running in this window (${v.mode}).`;
    void this.panel?.webview.postMessage({ type: 'banner', text: banner });
  }

  private html(): string {
    const nonce = randomBytes(16).toString('base64');
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 8px; }
header { position: sticky; top: 0; background: var(--vscode-editor-background); padding: 6px 0; display: flex; gap: 8px; align-items: center; }
select, input { background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); padding: 2px 4px; }
input[type=text] { flex: 1; }
table { border-collapse: collapse; width: 100%; font-family: var(--vscode-editor-font-family); font-size: 12px; }
td, th { text-align: left; padding: 1px 6px; white-space: nowrap; }
td.trace { white-space: normal; color: var(--vscode-descriptionForeground); }
tr.error td.outcome { color: var(--vscode-errorForeground); }
tr.retried td.outcome { color: var(--vscode-editorWarning-foreground); }
#banner { color: var(--vscode-descriptionForeground); margin: 4px 0; }
</style></head>
<body>
<header>
  <label>Show <select id="filter"><option value="all">all requests</option><option value="errors">errors only</option><option value="retried">retried</option></select></label>
  <input id="text" type="text" placeholder="filter: endpoint, status, path, cause…">
  <label><input id="follow" type="checkbox" checked> follow</label>
  <span id="count"></span>
</header>
<div id="banner"></div>
<table><thead><tr><th>time</th><th>id</th><th>request</th><th>status</th><th>outcome</th><th>endpoint</th><th>key</th><th>ms</th><th>attempts</th></tr></thead><tbody id="rows"></tbody></table>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
const rows = [];
const MAX = 2000;
const $ = (id) => document.getElementById(id);
let filter = 'all', text = '';
function passes(r) {
  if (filter === 'errors' && !r.error) return false;
  if (filter === 'retried' && !r.retried) return false;
  return !text || JSON.stringify(r).toLowerCase().includes(text);
}
function tr(r) {
  const el = document.createElement('tr');
  el.className = r.error ? 'error' : r.retried ? 'retried' : '';
  for (const [v, cls] of [[r.time], [r.id], [r.method + ' ' + r.path], [r.status], [r.outcome, 'outcome'], [r.endpoint], [r.key], [r.ms], [r.attempts, 'trace']]) {
    const td = document.createElement('td');
    td.textContent = String(v);
    if (cls) td.className = cls;
    el.appendChild(td);
  }
  return el;
}
function render() {
  const body = $('rows');
  body.replaceChildren(...rows.filter(passes).map(tr));
  $('count').textContent = body.children.length + ' shown';
  if ($('follow').checked) window.scrollTo(0, document.body.scrollHeight);
}
function append(batch) {
  rows.push(...batch);
  if (rows.length > MAX) rows.splice(0, rows.length - MAX);
  const body = $('rows');
  for (const r of batch) if (passes(r)) body.appendChild(tr(r));
  while (body.children.length > MAX) body.removeChild(body.firstChild);
  $('count').textContent = body.children.length + ' shown';
  if ($('follow').checked) window.scrollTo(0, document.body.scrollHeight);
}
function setFilter(f, t) {
  filter = f; text = (t || '').toLowerCase();
  $('filter').value = f; $('text').value = t || '';
  render();
}
$('filter').addEventListener('change', () => { filter = $('filter').value; vscode.postMessage({ type: 'filter', filter }); render(); });
$('text').addEventListener('input', () => { text = $('text').value.toLowerCase(); vscode.postMessage({ type: 'filter', text: $('text').value }); render(); });
window.addEventListener('message', (e) => {
  const m = e.data;
  if (m.type === 'init') { rows.splice(0, rows.length, ...m.rows); setFilter(m.filter, m.text); }
  else if (m.type === 'append') append(m.rows);
  else if (m.type === 'filter') setFilter(m.filter, m.text);
  else if (m.type === 'banner') $('banner').textContent = m.text;
});
vscode.postMessage({ type: 'ready' });
</script></body></html>`;
  }
}
