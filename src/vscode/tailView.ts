// "Tail Logs": the dashboard page's request table on its own (requests-only mode), live from the request buffer, with the same filter.

import * as vscode from 'vscode';
import type { RequestRecord } from '../core/log';
import type { DashboardSource } from '../dashboard/session';
import { matchesOutcome, matchesRequest, REQUEST_FILTERS, RequestFilter } from '../dashboard/requestFilter';
import { PagePanel } from './dashboardPanel';
import { Disposable } from './dispose';
import type { RequestLogBuffer } from './log';
import type { ProxyService } from './proxyService';

export type TailFilter = RequestFilter;
export const TAIL_FILTERS: readonly TailFilter[] = REQUEST_FILTERS;

/** Whether a record passes an outcome filter (the page applies the same function). */
export function matchesFilter(r: RequestRecord, filter: TailFilter): boolean {
  return matchesOutcome(r, filter);
}

/** The one Tail Logs panel; opening it again reveals it (and may change its filter). */
export class TailLogsPanel extends Disposable {
  private readonly page: PagePanel;
  private filter: TailFilter = 'all';
  private text = '';

  constructor(private readonly requests: RequestLogBuffer, private readonly service: ProxyService, extensionUri?: vscode.Uri) {
    super();
    const source: DashboardSource = {
      snapshot: () => undefined,
      recentRequests: () => requests.all(),
      onSnapshot: () => () => undefined,
      onRequests: (listener) => {
        const sub = requests.onDidAppend(listener);
        return () => sub.dispose();
      },
    };
    this.page = this._register(
      new PagePanel({
        viewType: 'switchyard.tailLogs',
        title: 'Switchyard: Requests',
        mode: 'requests',
        source,
        extensionUri,
        onFilter: (filter, text) => {
          this.filter = filter;
          this.text = text;
        },
      }),
    );
    this._register(service.onDidChangeMode(() => this.page.session.setBanner(this.banner())));
    // Following another window starts from its backlog: the page starts over with it.
    this._register(requests.onDidReplace(() => this.page.session.isLive && this.page.session.start()));
  }

  get isOpen(): boolean {
    return this.page.isOpen;
  }

  /** The current filter and how many buffered records pass it. */
  state(): { filter: TailFilter; text: string; matching: number } {
    const matching = this.requests.all().filter((r) => matchesRequest(r, this.filter, this.text)).length;
    return { filter: this.filter, text: this.text, matching };
  }

  show(options: { filter?: TailFilter; text?: string } = {}): void {
    if (options.filter && TAIL_FILTERS.includes(options.filter)) this.filter = options.filter;
    if (options.text !== undefined) this.text = options.text;
    this.page.session.setFilter(this.filter, this.text);
    this.page.session.setBanner(this.banner());
    this.page.show();
  }

  private banner(): string {
    const v = this.service.view();
    if (v.mode === 'remote') return `The proxy on ${v.url} runs in another VS Code window${v.owner ? ` (pid ${v.owner.pid})` : ''}; these are the requests it serves, live.`;
    if (v.mode !== 'serving') return `The proxy is not running (${v.mode}); the requests shown are the last ones seen.`;
    return '';
  }
}
