// The request table (the dashboard's and Tail Logs' one view of requests): filter bar, newest-first rows, a row's attempt trace on click.

import type { DashboardRequest, RequestFilter } from '../feed';
import { matchesRequest, REQUEST_FILTERS, searchText } from '../requestFilter';
import { fill, h } from './dom';
import * as fmt from './format';

/** Records kept; the oldest go first. */
const MAX_RECORDS = 2000;
/** Rows drawn at once (the newest that pass the filter). */
const MAX_ROWS = 500;
const COLUMNS = ['time', 'request', 'endpoint', 'key', 'model', 'status', 'cause', 'attempts', 'TTFB', 'duration', 'tokens'];
const FILTER_LABELS: Record<RequestFilter, string> = { all: 'all requests', errors: 'errors only', retried: 'retried' };

interface Entry {
  r: DashboardRequest;
  search: string;
}

function isError(r: DashboardRequest): boolean {
  return r.outcome !== 'OK' && r.outcome !== 'CLIENT_ABORTED';
}

function tokensCell(r: DashboardRequest): { text: string; title: string } {
  const u = r.usage;
  if (!u) return { text: '—', title: 'no usage reported' };
  const prompt = (u.inputTokens ?? 0) + (u.cacheReadTokens ?? 0) + (u.cacheWriteTokens ?? 0);
  const title = `input ${u.inputTokens ?? '?'} · output ${u.outputTokens ?? '?'} · cache read ${u.cacheReadTokens ?? '?'} · cache write ${u.cacheWriteTokens ?? '?'}`;
  return { text: `${fmt.count(prompt)} → ${u.outputTokens === null ? '?' : fmt.count(u.outputTokens)}`, title };
}

export interface RequestTableOptions {
  /** The person changed the filter. */
  onFilter(filter: RequestFilter, text: string): void;
  /** Something changed that needs drawing. */
  invalidate(): void;
}

export class RequestTable {
  readonly root: HTMLElement;
  private readonly entries: Entry[] = [];
  private readonly rows: HTMLTableSectionElement;
  private readonly filterSelect: HTMLSelectElement;
  private readonly textInput: HTMLInputElement;
  private readonly followBox: HTMLInputElement;
  private readonly countLabel: HTMLElement;
  private readonly banner: HTMLElement;
  private filter: RequestFilter = 'all';
  private text = '';
  /** The dashboard's picked cluster: its requests only (null: every request, as in Tail Logs). */
  private cluster: string | null = null;
  private selected: string | null = null;
  /** Arrived since the last draw; drawn on top unless the whole table is redrawn. */
  private fresh: Entry[] = [];
  private full = true;
  private shown = 0;
  private waiting = 0;

  constructor(private readonly options: RequestTableOptions) {
    this.filterSelect = h('select', { id: 'filter', 'aria-label': 'Which requests' }, ...REQUEST_FILTERS.map((f) => h('option', { value: f }, FILTER_LABELS[f])));
    this.textInput = h('input', { id: 'text', type: 'search', placeholder: 'filter: endpoint, status, path, cause, model…', 'aria-label': 'Filter text' });
    this.followBox = h('input', { id: 'follow', type: 'checkbox', checked: true });
    this.countLabel = h('span', { id: 'count', class: 'muted' });
    this.banner = h('div', { id: 'banner', class: 'banner', hidden: true });
    this.rows = h('tbody', { id: 'rows' });
    this.root = h(
      'section',
      { class: 'requests card', 'aria-label': 'Requests' },
      h('div', { class: 'toolbar' }, h('h2', {}, 'Requests'), h('label', {}, 'Show ', this.filterSelect), this.textInput, h('label', { title: 'Keep adding new requests on top' }, this.followBox, ' follow'), this.countLabel),
      this.banner,
      h('div', { class: 'table-wrap' }, h('table', { class: 'request-table' }, h('thead', {}, h('tr', {}, ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)))), this.rows)),
    );
    this.filterSelect.addEventListener('change', () => this.changeFilter(this.filterSelect.value as RequestFilter, this.textInput.value));
    this.textInput.addEventListener('input', () => this.changeFilter(this.filter, this.textInput.value));
    this.followBox.addEventListener('change', () => this.redraw());
    this.rows.addEventListener('click', (e) => this.toggle(e.target as Element));
    this.rows.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.toggle(e.target as Element);
      }
    });
  }

  get state(): { filter: RequestFilter; text: string } {
    return { filter: this.filter, text: this.text };
  }

  /** Sets the filter from outside (restored state, the host); does not report back. */
  setFilter(filter: RequestFilter, text: string): void {
    this.filter = REQUEST_FILTERS.includes(filter) ? filter : 'all';
    this.text = text ?? '';
    this.filterSelect.value = this.filter;
    this.textInput.value = this.text;
    this.redraw();
  }

  /** Shows only `cluster`'s requests (the dashboard's picked cluster), or all of them with null. */
  setCluster(cluster: string | null): void {
    if (cluster === this.cluster) return;
    this.cluster = cluster;
    this.redraw();
  }

  setBanner(text: string): void {
    this.banner.textContent = text;
    this.banner.hidden = text === '';
  }

  replace(records: readonly DashboardRequest[]): void {
    this.entries.length = 0;
    this.add(records);
    this.redraw();
  }

  append(records: readonly DashboardRequest[]): void {
    this.fresh.push(...this.add(records));
    this.options.invalidate();
  }

  /** Draws what changed since the last call. */
  render(): void {
    if (!this.followBox.checked && !this.full) {
      this.waiting += this.fresh.filter((e) => this.passes(e)).length;
      this.fresh = [];
      this.updateCount();
      return;
    }
    if (this.full) {
      this.full = false;
      this.fresh = [];
      this.waiting = 0;
      const picked: Entry[] = [];
      for (let i = this.entries.length - 1; i >= 0 && picked.length < MAX_ROWS; i--) if (this.passes(this.entries[i])) picked.push(this.entries[i]);
      const frag = document.createDocumentFragment();
      for (const e of picked) this.appendRow(frag, e);
      this.rows.replaceChildren(frag);
      this.shown = picked.length;
    } else if (this.fresh.length > 0) {
      const frag = document.createDocumentFragment();
      for (let i = this.fresh.length - 1; i >= 0; i--) if (this.passes(this.fresh[i])) this.appendRow(frag, this.fresh[i]);
      this.shown += frag.childElementCount;
      this.fresh = [];
      this.rows.prepend(frag);
      while (this.shown > MAX_ROWS && this.rows.lastElementChild) {
        if (!this.rows.lastElementChild.classList.contains('trace')) this.shown--;
        this.rows.lastElementChild.remove();
      }
    }
    this.updateCount();
  }

  private add(records: readonly DashboardRequest[]): Entry[] {
    const added = records.filter((r) => r && typeof r.id === 'string' && Array.isArray(r.attempts)).map((r) => ({ r, search: searchText(r) }));
    this.entries.push(...added);
    if (this.entries.length > MAX_RECORDS) this.entries.splice(0, this.entries.length - MAX_RECORDS);
    return added;
  }

  private passes(e: Entry): boolean {
    return (this.cluster === null || e.r.cluster === this.cluster) && matchesRequest(e.r, this.filter, this.text, e.search);
  }

  private changeFilter(filter: RequestFilter, text: string): void {
    this.filter = filter;
    this.text = text;
    this.options.onFilter(filter, text);
    this.redraw();
  }

  private redraw(): void {
    this.full = true;
    this.options.invalidate();
  }

  private updateCount(): void {
    const waiting = this.waiting > 0 ? ` · ${this.waiting} new (paused)` : '';
    const where = this.cluster === null ? '' : ` in ${this.cluster}`;
    this.countLabel.textContent = `${this.shown} shown${where}${this.shown === MAX_ROWS ? ' (newest)' : ''}${waiting}${this.shown === 0 && this.filter === 'errors' ? this.noErrorsHint() : ''}`;
  }

  /** "Errors" are failures the client saw; an endpoint failing behind a saved request shows under "retried". */
  private noErrorsHint(): string {
    let retried = 0;
    for (const e of this.entries) if ((this.cluster === null || e.r.cluster === this.cluster) && e.r.attempts.length > 1) retried++;
    return retried > 0 ? ` — no request failed for its client; ${retried === 1 ? '1 was' : `${retried} were`} saved by a retry (Show: retried)` : ' — no request failed';
  }

  private appendRow(parent: DocumentFragment, e: Entry): void {
    const r = e.r;
    const tokens = tokensCell(r);
    const retried = r.attempts.length > 1;
    const tr = h('tr', { 'data-id': r.id, tabindex: 0, class: [isError(r) ? 'error' : '', retried ? 'retried' : '', r.id === this.selected ? 'selected' : ''].filter(Boolean).join(' '), 'aria-expanded': r.id === this.selected ? 'true' : 'false' });
    const cells: [string, string?, string?][] = [
      [fmt.clock(r.time), 'time', r.time],
      [`${r.method} ${r.path}`, 'path'],
      [r.endpoint ?? '—'],
      [r.key ?? ''],
      [r.model ?? ''],
      [String(r.status), 'status'],
      [r.outcome, 'outcome'],
      [retried ? `${r.attempts.length}: ${r.attempts.map((a) => a.endpoint).join(' → ')}` : String(r.attempts.length), 'attempts'],
      [fmt.ms(r.ttfbMs), 'num'],
      [fmt.ms(r.durationMs), 'num'],
      [tokens.text, 'num', tokens.title],
    ];
    for (const [text, cls, title] of cells) tr.appendChild(h('td', { class: cls, title }, text));
    parent.appendChild(tr);
    if (r.id === this.selected) parent.appendChild(this.traceRow(r));
  }

  private toggle(target: Element): void {
    const tr = target.closest('tr[data-id]');
    if (!tr) return;
    const id = tr.getAttribute('data-id');
    const open = this.rows.querySelector('tr.trace');
    const wasSelected = this.selected === id;
    open?.remove();
    this.rows.querySelector('tr.selected')?.classList.remove('selected');
    this.rows.querySelector('tr[aria-expanded="true"]')?.setAttribute('aria-expanded', 'false');
    this.selected = wasSelected ? null : id;
    if (this.selected === null) return;
    const entry = this.entries.find((e) => e.r.id === id);
    if (!entry) return;
    tr.classList.add('selected');
    tr.setAttribute('aria-expanded', 'true');
    tr.after(this.traceRow(entry.r));
  }

  /** The attempt trace of one request, with what else is known about it. */
  private traceRow(r: DashboardRequest): HTMLTableRowElement {
    const facts: [string, string][] = [
      ['id', r.id],
      ['at', new Date(r.time).toLocaleString()],
      ['cluster', r.cluster ?? '(no cluster serves this API)'],
      ['stream', r.stream ? 'yes' : 'no'],
      ['bytes', `${fmt.count(r.bytesIn)} in · ${fmt.count(r.bytesOut)} out`],
    ];
    if (r.api) facts.push(['api', r.api]);
    if (r.affinity) facts.push(['affinity', r.affinity === 'hit' ? 'kept on its endpoint × key' : r.affinity === 'moved' ? 'moved to another target' : 'new conversation']);
    if (r.usage) facts.push(['tokens', tokensCell(r).title]);
    if (typeof r.costUsd === 'number') facts.push(['cost', fmt.usd(r.costUsd)]);
    const list = h('ol', { class: 'attempts' });
    for (const a of r.attempts) {
      list.appendChild(
        h(
          'li',
          { class: a.cause === 'OK' ? 'ok' : 'failed' },
          h('strong', {}, a.endpoint),
          a.key ? ` ${a.key}` : ' (client key)',
          ' — ',
          a.status !== null ? `${a.status} ` : '',
          a.cause,
          a.detail ? h('span', { class: 'muted' }, ` · ${a.detail}`) : null,
          h('span', { class: 'muted' }, ` · ${fmt.ms(a.ms)}`),
        ),
      );
    }
    if (r.attempts.length === 0) list.appendChild(h('li', { class: 'muted' }, 'no attempt was made (', r.outcome, ')'));
    const dl = h('dl', { class: 'facts' });
    for (const [k, v] of facts) dl.append(h('dt', {}, k), h('dd', {}, v));
    const td = h('td', { colspan: COLUMNS.length });
    fill(td, h('div', { class: 'trace-body' }, h('div', {}, h('h3', {}, `Attempts of ${r.method} ${r.path} → ${r.status} ${r.outcome}`), list), dl));
    return h('tr', { class: 'trace' }, td);
  }
}
