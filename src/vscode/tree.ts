// The Switchyard tree: maps the proxy's stats and the last diagnostics to clusters → endpoints → keys; contextValue drives the menus.

import * as vscode from 'vscode';
import type { DeadlineBasis } from '../core/firstByteDeadline';
import type { EndpointState } from '../core/health';
import type { ClusterStats, EndpointStats, KeyStats } from '../core/stats';
import { Commands } from './constants';
import { endpointDiagnosis } from './diagnosticsState';
import type { DiagnosticsState, EndpointDiagnosis, LastDiagnostics } from './diagnosticsState';
import { Disposable } from './dispose';
import { clusterHealth, describeLastError, describeUsage, endpointDescription, formatClock, formatMs, formatPercent, keyDescription, keyDescriptionNow, nextClockChange, plural, probeWhenNow, STATE_LABELS } from './format';
import type { ProxyService, ProxyView } from './proxyService';

export interface StatusNode {
  readonly kind: 'status';
  readonly id: string;
}
export interface ClusterNode {
  readonly kind: 'cluster';
  readonly id: string;
  readonly cluster: string;
}
export interface EndpointNode {
  readonly kind: 'endpoint';
  readonly id: string;
  readonly cluster: string;
  readonly endpoint: string;
}
export interface KeyNode {
  readonly kind: 'key';
  readonly id: string;
  readonly cluster: string;
  readonly endpoint: string;
  readonly suffix: string;
  readonly index: number;
}
/** "no keys": the endpoint passes the client's own key through. */
export interface NoKeysNode {
  readonly kind: 'noKeys';
  readonly id: string;
  readonly cluster: string;
  readonly endpoint: string;
}
/** "Add Endpoint…": what an empty cluster shows, so it does not expand to nothing. */
export interface AddEndpointNode {
  readonly kind: 'addEndpoint';
  readonly id: string;
  readonly cluster: string;
}
/** A client signed in with a subscription (ChatGPT, Claude) was seen: its login expects the vendor's own backend. */
export interface LoginNode {
  readonly kind: 'login';
  readonly id: string;
  readonly family: string;
  readonly message: string;
}
export type TreeNode = StatusNode | LoginNode | ClusterNode | EndpointNode | KeyNode | NoKeysNode | AddEndpointNode;

const STATE_ICONS: Record<EndpointState, [string, string]> = {
  healthy: ['pass-filled', 'testing.iconPassed'],
  degraded: ['warning', 'list.warningForeground'],
  unhealthy: ['error', 'list.errorForeground'],
  open: ['circle-slash', 'list.errorForeground'],
};

/** The icon id and colour id an endpoint gets for its state. */
export function endpointIcon(e: EndpointStats, live: boolean): vscode.ThemeIcon {
  if (e.disabled) return new vscode.ThemeIcon('circle-large-outline', new vscode.ThemeColor('disabledForeground'));
  if (!live) return new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('disabledForeground'));
  const [icon, color] = STATE_ICONS[e.state];
  return new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
}

function statusText(v: ProxyView): { label: string; description: string; icon: vscode.ThemeIcon; tooltip: string } {
  const where = `${v.host}:${v.port}`;
  switch (v.mode) {
    case 'serving':
      // Short enough for the default sidebar width; the tooltip has the whole URL.
      return { label: `Serving :${v.port}`, description: plural(v.stats?.requests.total ?? 0, 'request'), icon: new vscode.ThemeIcon('radio-tower'), tooltip: `This window runs the proxy on ${v.url}.` };
    case 'remote':
      return {
        label: 'Served by another window',
        description: `${v.url}${v.owner ? ` · pid ${v.owner.pid}` : ''}`,
        icon: new vscode.ThemeIcon('radio-tower'),
        tooltip: `Another VS Code window owns ${where}; this view shows its live stats and takes over if it goes away.`,
      };
    case 'starting':
      return { label: 'Starting…', description: where, icon: new vscode.ThemeIcon('loading~spin'), tooltip: `Listening on ${where}…` };
    case 'foreign':
      return {
        label: `Port ${v.port} is taken`,
        description: v.holder?.kind === 'foreign' && v.holder.program ? `${v.holder.program}${v.holder.pid ? ` (pid ${v.holder.pid})` : ''}` : 'by another program',
        icon: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
        tooltip: `Another program holds ${where}. Pick another port in switchyard.port.`,
      };
    case 'failed':
      if (v.crash?.restartAt !== undefined) {
        return { label: 'Restarting…', description: 'the proxy process stopped unexpectedly', icon: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('list.warningForeground')), tooltip: v.crash.message };
      }
      return { label: 'Not running', description: v.problem ?? '', icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')), tooltip: v.problem ?? '' };
    case 'invalid':
      return { label: 'Not running', description: v.problem ?? '', icon: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')), tooltip: v.problem ?? '' };
    default:
      return {
        label: 'Stopped',
        description: v.stoppedElsewhere ? 'stopped in another window' : where,
        icon: new vscode.ThemeIcon('debug-stop'),
        tooltip: 'The proxy is stopped. Run "Switchyard: Start Proxy".',
      };
  }
}

/** Escapes text for a MarkdownString (keeps spaces as spaces, unlike appendText). */
function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** `⚠ CONNECT_REFUSED` (or `⚠ KEY_INVALID +1` when more causes failed): the mark a diagnosed endpoint's description ends with. */
export function diagnosisMark(d: EndpointDiagnosis): string {
  const [first, ...more] = d.verdict.causes;
  return `⚠ ${first ?? d.verdict.status.toUpperCase()}${more.length ? ` +${more.length}` : ''}`;
}

function diagnosisTooltip(d: EndpointDiagnosis): string[] {
  const lines = ['', `**Diagnostics** (${md(new Date(d.at).toLocaleTimeString())}): ${d.verdict.status === 'fail' ? 'failed' : 'warning'}`];
  for (const c of d.problems) lines.push(md(`${c.cause} — ${c.summary}${c.fix ? ` — ${c.fix}` : ''}`));
  return lines;
}

const DEADLINE_BASIS_LABELS: Record<DeadlineBasis, string> = {
  learned: 'learned from its recent streams',
  initial: 'no history yet',
  configured: 'the configured limit',
};

function endpointTooltip(e: EndpointStats, live: boolean, now: number, diagnosis: EndpointDiagnosis | undefined): vscode.MarkdownString {
  const lines = [
    `**${md(e.name)}** — ${e.disabled ? 'disabled' : live ? md(STATE_LABELS[e.state]) : 'proxy not running'}`,
    `\`${e.baseUrl.replace(/`/g, '')}\``,
    '',
    md(e.successOf > 0 ? `success: ${formatPercent(e.successRate)} of the last ${plural(e.successOf, 'attempt')}` : 'success: no attempts yet'),
    md(`${e.resetAt !== null ? `since its failures were forgotten at ${formatClock(e.resetAt)}` : 'since start'}: ${plural(e.requests, 'attempt')}, ${e.failures} failed`),
    md(`latency (time to first byte): ${e.latencyMs === null ? '—' : formatMs(e.latencyMs)}`),
    ...(e.firstByteDeadlineMs === undefined ? [] : [md(`first-byte deadline for streams: ${formatMs(e.firstByteDeadlineMs)} (${DEADLINE_BASIS_LABELS[e.firstByteDeadlineBasis ?? 'configured']})`)]),
    md(`in flight: ${e.inFlight} · consecutive failures: ${e.consecutiveFailures}`),
    md(`keys: ${e.keys.length === 0 ? "none (the client's own key is passed through)" : `${e.keys.length} (${e.keys.filter((k) => keyDescription(k, now) === 'ok').length} ok)`}`),
  ];
  if (e.state === 'open' && e.nextProbeAt !== null) lines.push(md(`circuit open: ${probeWhenNow(e.nextProbeAt, now)}`));
  if (e.usage) lines.push(md(`usage since start: ${describeUsage(e.usage)}`), md(`today: ${describeUsage(e.today)}`));
  if (e.conversations) lines.push(md(`conversations pinned here: ${e.conversations}`));
  if (e.lastError) lines.push(md(`last error: ${describeLastError(e.lastError, now)}`));
  if (diagnosis) lines.push(...diagnosisTooltip(diagnosis));
  return new vscode.MarkdownString(lines.join('  \n'));
}

function keyTooltip(k: KeyStats, now: number): string {
  const lines = [`key ${k.suffix}: ${keyDescriptionNow(k, now)}`];
  if (k.usage) lines.push(`usage since start: ${describeUsage(k.usage)}`, `today: ${describeUsage(k.today)}`);
  if (k.conversations) lines.push(`conversations pinned to this key: ${k.conversations}`);
  if (k.lastError) lines.push(`last error: ${describeLastError(k.lastError, now)}`);
  return lines.join('\n');
}

/** What a rendered item shows (its tooltip aside, which is built when it opens): equal strings, nothing to redraw. */
function itemSignature(item: vscode.TreeItem): string {
  const icon = item.iconPath instanceof vscode.ThemeIcon ? `${item.iconPath.id}/${item.iconPath.color?.id ?? ''}` : '';
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  return `${label}\u0000${String(item.description ?? '')}\u0000${icon}\u0000${item.contextValue ?? ''}\u0000${item.collapsibleState ?? ''}`;
}

/**
 * The TreeDataProvider. It redraws only the items whose text, icon or menus changed (a redraw closes an
 * open hover), builds tooltips when they open (so "12 s ago" is current), refreshes only while visible,
 * and wakes by itself only when a description changes by the clock (a probe falls due, a cooldown ends).
 */
export class EndpointTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private view: ProxyView;
  private diagnosed: LastDiagnostics | undefined;
  private visible = false;
  private dirty = false;
  private clockTimer: NodeJS.Timeout | undefined;
  private readonly nodes = new Map<string, TreeNode>();
  /** Node ids in tree order, and what each showed when last drawn. */
  private shape = '';
  private readonly drawn = new Map<string, string>();
  /** How many times the tree was rebuilt (tests check that hidden views do no work). */
  refreshCount = 0;
  /** How many items were redrawn: all of them for a new shape, else only the changed ones. */
  redrawCount = 0;
  /** Items whose tooltip was built: redrawn once it may have aged, so the next hover builds it again. */
  private readonly tooltipAging = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly service: ProxyService,
    private readonly diagnostics: DiagnosticsState,
  ) {
    super();
    this.view = service.view();
    this.diagnosed = diagnostics.current;
    this._register(service.onDidChange(() => this.invalidate()));
    this._register(diagnostics.onDidChange(() => this.invalidate()));
    this._register({
      dispose: () => {
        clearTimeout(this.clockTimer);
        for (const t of this.tooltipAging.values()) clearTimeout(t);
      },
    });
  }

  /** Connects the TreeView's visibility: no work while hidden, one refresh when shown again. */
  attach(treeView: vscode.TreeView<TreeNode>): void {
    this.visible = treeView.visible;
    this._register(
      treeView.onDidChangeVisibility((e) => {
        this.visible = e.visible;
        if (e.visible && this.dirty) this.refresh();
        else this.scheduleClock();
      }),
    );
  }

  /** Rebuilds from the service's and the diagnostics' current state and redraws what changed (now, whether visible or not). */
  refresh(): void {
    this.dirty = false;
    this.view = this.service.view();
    this.diagnosed = this.diagnostics.current;
    this.refreshCount++;
    const all = this.walk();
    const shape = all.map((n) => n.id).join('\n');
    const changed: TreeNode[] = [];
    for (const n of all) {
      const signature = itemSignature(this.render(n, Date.now()));
      if (this.drawn.get(n.id) !== signature) changed.push(n);
      this.drawn.set(n.id, signature);
    }
    if (shape !== this.shape || changed.length > 0) {
      for (const n of shape !== this.shape ? all : changed) this.forgetTooltip(n.id);
    }
    if (shape !== this.shape) {
      this.shape = shape;
      for (const id of [...this.drawn.keys()]) if (!all.some((n) => n.id === id)) this.drawn.delete(id);
      this.redrawCount += all.length;
      this._onDidChangeTreeData.fire(undefined);
    } else if (changed.length > 0) {
      this.redrawCount += changed.length;
      this._onDidChangeTreeData.fire(changed);
    }
    this.scheduleClock();
  }

  /** The snapshot the tree currently shows. */
  get current(): ProxyView {
    return this.view;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return this.render(node, Date.now());
  }

  /**
   * Tooltips are built as they open, from the latest state, so their "ago" and "in" times are current.
   * VS Code keeps a built tooltip until the item is redrawn: an item nothing else redraws is redrawn
   * once after TOOLTIP_AGING_MS (long enough to read an open hover), so a later hover is built anew.
   */
  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    const now = Date.now();
    const view = this.service.view();
    if (node.kind === 'endpoint') {
      const e = view.stats?.clusters.find((c) => c.name === node.cluster)?.endpoints.find((x) => x.name === node.endpoint);
      if (e) item.tooltip = endpointTooltip(e, view.live, now, currentDiagnosis(endpointDiagnosis(this.diagnostics.current, node.cluster, node.endpoint), e));
    } else if (node.kind === 'key') {
      const k = view.stats?.clusters.find((c) => c.name === node.cluster)?.endpoints.find((x) => x.name === node.endpoint)?.keys[node.index];
      if (k) item.tooltip = keyTooltip(k, now);
    }
    if (item.tooltip !== undefined && !this.tooltipAging.has(node.id)) {
      this.tooltipAging.set(
        node.id,
        setTimeout(() => {
          this.tooltipAging.delete(node.id);
          this.redrawCount++;
          this._onDidChangeTreeData.fire([node]);
        }, TOOLTIP_AGING_MS),
      );
    }
    return item;
  }

  private forgetTooltip(id: string): void {
    clearTimeout(this.tooltipAging.get(id));
    this.tooltipAging.delete(id);
  }

  private render(node: TreeNode, now: number): vscode.TreeItem {
    switch (node.kind) {
      case 'status': {
        const s = statusText(this.view);
        const item = new vscode.TreeItem(s.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = s.description;
        item.iconPath = s.icon;
        item.tooltip = s.tooltip;
        item.contextValue = `status.${this.view.mode}`;
        if (this.view.mode === 'stopped' || this.view.mode === 'failed') item.command = { command: Commands.startProxy, title: 'Start Proxy' };
        else item.command = { command: Commands.openStats, title: 'Open Stats' };
        return item;
      }
      case 'login': {
        const l = this.view.stats?.logins?.find((x) => x.family === node.family && x.message === node.message);
        const item = new vscode.TreeItem(l?.family === 'openai' ? 'Codex signed in with ChatGPT' : 'Claude subscription login', vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        item.description = l ? `${plural(l.count, 'request')} · use an API key` : '';
        item.tooltip = l
          ? new vscode.MarkdownString(md(`${l.message}. Such a login works only against its vendor's own backend: Switchyard replaces it with an endpoint's key (that key's account pays) or passes it to the endpoint (a relay rejects it). Give the client an API key instead. Run Diagnostics for details.`))
          : '';
        item.contextValue = 'login';
        item.command = { command: Commands.runDiagnostics, title: 'Run Diagnostics' };
        return item;
      }
      case 'cluster': {
        const c = this.cluster(node.cluster);
        const item = new vscode.TreeItem(node.cluster, c?.active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        if (c) {
          const h = clusterHealth(c);
          const count = c.endpoints.length === 0 ? 'no endpoints yet' : this.view.live ? `${h.healthy}/${h.total} healthy` : plural(h.total, 'endpoint');
          item.description = `${c.active ? 'active · ' : ''}${count} · ${c.protocol}`;
          item.tooltip = `Cluster "${c.name}" (${c.protocol}, ${c.strategy})${c.active ? ` — the active ${c.protocol} cluster: ${c.protocol === 'anthropic' ? '/v1/messages (Claude Code, Anthropic SDKs)' : '/v1/chat/completions, /v1/responses and other OpenAI paths (Codex, OpenAI SDKs)'} go here` : ''}`;
          item.iconPath = new vscode.ThemeIcon(c.active ? 'layers-active' : 'layers');
          item.contextValue = c.active ? 'cluster.active' : 'cluster';
        }
        return item;
      }
      case 'endpoint': {
        const e = this.endpoint(node.cluster, node.endpoint);
        const item = new vscode.TreeItem(node.endpoint, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        if (e) {
          // A diagnosis made before the endpoint's failures were forgotten no longer describes it.
          const diagnosis = currentDiagnosis(endpointDiagnosis(this.diagnosed, node.cluster, node.endpoint), e);
          // The mark first: the row is cut at the sidebar's width, and the mark is what was found.
          item.description = `${diagnosis ? `${diagnosisMark(diagnosis)} · ` : ''}${endpointDescription(e, this.view.live, now)}`;
          item.iconPath = endpointIcon(e, this.view.live);
          // The suffix keeps the `^endpoint\.enabled` menu clauses matching.
          item.contextValue = `endpoint.${e.disabled ? 'disabled' : 'enabled'}.${e.state}${diagnosis ? `.diagnosed-${diagnosis.verdict.status}` : ''}`;
          item.accessibilityInformation = { label: `${e.name}, ${e.disabled ? 'disabled' : STATE_LABELS[e.state]}, ${item.description}` };
        }
        return item;
      }
      case 'key': {
        const k = this.endpoint(node.cluster, node.endpoint)?.keys[node.index];
        const item = new vscode.TreeItem(node.suffix, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        if (k) {
          const shown = keyDescription(k, now);
          item.description = shown;
          const color = k.state === 'invalid' ? 'list.errorForeground' : shown !== 'ok' && k.state === 'cooling' ? 'list.warningForeground' : undefined;
          item.iconPath = new vscode.ThemeIcon('key', color ? new vscode.ThemeColor(color) : undefined);
        }
        item.contextValue = 'key';
        return item;
      }
      case 'noKeys': {
        const item = new vscode.TreeItem('no keys', vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = "the client's own key is passed through";
        item.iconPath = new vscode.ThemeIcon('info');
        item.contextValue = 'noKeys';
        item.command = { command: Commands.addKeys, title: 'Add Keys', arguments: [{ cluster: node.cluster, endpoint: node.endpoint }] };
        return item;
      }
      case 'addEndpoint': {
        const item = new vscode.TreeItem('Add Endpoint…', vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = 'this cluster has none yet';
        item.iconPath = new vscode.ThemeIcon('add');
        item.contextValue = 'addEndpoint';
        item.command = { command: Commands.addEndpoint, title: 'Add Endpoint', arguments: [{ cluster: node.cluster }] };
        return item;
      }
    }
  }

  getChildren(node?: TreeNode): TreeNode[] {
    const stats = this.view.stats;
    if (!stats) return [];
    if (!node) {
      const logins = (stats.logins ?? []).map((l) => this.node({ kind: 'login', id: `l:${l.family}:${l.message}`, family: l.family, message: l.message }));
      return [this.node({ kind: 'status', id: 'status' }), ...logins, ...stats.clusters.map((c) => this.node({ kind: 'cluster', id: clusterNodeId(c), cluster: c.name }))];
    }
    if (node.kind === 'cluster') {
      const endpoints = this.cluster(node.cluster)?.endpoints ?? [];
      if (endpoints.length === 0) return [this.node({ kind: 'addEndpoint', id: `a:${node.cluster}`, cluster: node.cluster })];
      return endpoints.map((e) => this.node({ kind: 'endpoint', id: `e:${node.cluster}/${e.name}`, cluster: node.cluster, endpoint: e.name }));
    }
    if (node.kind === 'endpoint') {
      const e = this.endpoint(node.cluster, node.endpoint);
      if (!e) return [];
      if (e.keys.length === 0) return [this.node({ kind: 'noKeys', id: `n:${node.cluster}/${node.endpoint}`, cluster: node.cluster, endpoint: node.endpoint })];
      return e.keys.map((k, index) => this.node({ kind: 'key', id: `k:${node.cluster}/${node.endpoint}/${index}${k.suffix}`, cluster: node.cluster, endpoint: node.endpoint, suffix: k.suffix, index }));
    }
    return [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'cluster' || node.kind === 'status' || node.kind === 'login') return undefined;
    const c = this.cluster(node.cluster);
    if (node.kind === 'endpoint' || node.kind === 'addEndpoint') return c ? this.nodes.get(clusterNodeId(c)) : undefined;
    return this.nodes.get(`e:${node.cluster}/${node.endpoint}`);
  }

  /** Every node, in tree order (all levels, expanded or not). */
  private walk(): TreeNode[] {
    const out: TreeNode[] = [];
    const visit = (n?: TreeNode) => {
      for (const child of this.getChildren(n)) {
        out.push(child);
        visit(child);
      }
    };
    visit();
    return out;
  }

  private invalidate(): void {
    if (this.visible) this.refresh();
    else this.dirty = true;
  }

  /** One wake-up at the next moment a description changes by the clock alone, while shown; none otherwise. */
  private scheduleClock(): void {
    clearTimeout(this.clockTimer);
    this.clockTimer = undefined;
    if (!this.visible || !this.view.live) return;
    const now = Date.now();
    const at = nextClockChange(this.view.stats?.clusters ?? [], now);
    if (at !== undefined) this.clockTimer = setTimeout(() => this.refresh(), Math.min(at - now + 50, 2 ** 31 - 1));
  }

  private node<T extends TreeNode>(n: T): T {
    const existing = this.nodes.get(n.id);
    if (existing) return existing as T;
    this.nodes.set(n.id, n);
    return n;
  }

  private cluster(name: string): ClusterStats | undefined {
    return this.view.stats?.clusters.find((c) => c.name === name);
  }

  private endpoint(cluster: string, name: string): EndpointStats | undefined {
    return this.cluster(cluster)?.endpoints.find((e) => e.name === name);
  }
}

/** How long a built tooltip is kept before its item is redrawn (so the next hover shows times as of then). */
const TOOLTIP_AGING_MS = 20_000;

/**
 * A cluster's node id changes when it becomes (or stops being) active, so VS Code draws it afresh with its
 * default state: the active cluster expanded, the others collapsed, as after any switch.
 */
function clusterNodeId(c: Pick<ClusterStats, 'name' | 'active'>): string {
  return c.active ? `c:${c.name}:active` : `c:${c.name}`;
}

/** The diagnosis, unless the endpoint's failures were forgotten (Probe Now) after it was made. */
function currentDiagnosis(d: EndpointDiagnosis | undefined, e: EndpointStats): EndpointDiagnosis | undefined {
  return d && e.resetAt !== null && e.resetAt > d.at ? undefined : d;
}
