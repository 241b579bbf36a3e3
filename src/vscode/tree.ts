// The Switchyard tree: maps the proxy's stats and the last diagnostics to clusters → endpoints → keys; contextValue drives the menus.

import * as vscode from 'vscode';
import type { DeadlineBasis } from '../core/firstByteDeadline';
import type { EndpointState } from '../core/health';
import type { ClusterStats, EndpointStats, KeyStats } from '../core/stats';
import { Commands } from './constants';
import { endpointDiagnosis } from './diagnosticsState';
import type { DiagnosticsState, EndpointDiagnosis, LastDiagnostics } from './diagnosticsState';
import { Disposable } from './dispose';
import { clusterHealth, describeLastError, endpointDescription, formatCountdown, formatMs, formatPercent, keyDescription, STATE_LABELS } from './format';
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
/** A client signed in with a subscription (ChatGPT, Claude) was seen: its token expects the vendor's own backend. */
export interface LoginNode {
  readonly kind: 'login';
  readonly id: string;
  readonly family: string;
  readonly message: string;
}
export type TreeNode = StatusNode | LoginNode | ClusterNode | EndpointNode | KeyNode | NoKeysNode;

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
      return { label: 'Serving', description: `${v.url} · ${v.stats?.requests.total ?? 0} requests`, icon: new vscode.ThemeIcon('radio-tower'), tooltip: `This window runs the proxy on ${v.url}.` };
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
    md(`success rate: ${formatPercent(e.successRate)} (${e.requests} requests, ${e.failures} failed)`),
    md(`latency (time to first byte): ${e.latencyMs === null ? '—' : formatMs(e.latencyMs)}`),
    ...(e.firstByteDeadlineMs === undefined ? [] : [md(`first-byte deadline for streams: ${formatMs(e.firstByteDeadlineMs)} (${DEADLINE_BASIS_LABELS[e.firstByteDeadlineBasis ?? 'configured']})`)]),
    md(`in flight: ${e.inFlight} · consecutive failures: ${e.consecutiveFailures}`),
    md(`keys: ${e.tokens.length === 0 ? "none (the client's own key is passed through)" : `${e.tokens.length} (${e.tokens.filter((k) => k.state === 'ok').length} ok)`}`),
  ];
  if (e.state === 'open' && e.nextProbeAt !== null) lines.push(md(`circuit open: next probe in ${formatCountdown(e.nextProbeAt, now)}`));
  if (e.lastError) lines.push(md(`last error: ${describeLastError(e.lastError, now)} (at ${new Date(e.lastError.at).toLocaleTimeString()})`));
  if (diagnosis) lines.push(...diagnosisTooltip(diagnosis));
  return new vscode.MarkdownString(lines.join('  \n'));
}

function keyTooltip(k: KeyStats, now: number): string {
  const lines = [`key ${k.suffix}: ${keyDescription(k, now)}`];
  if (k.lastError) lines.push(`last error: ${describeLastError(k.lastError, now)}`);
  return lines.join('\n');
}

/** The TreeDataProvider; refreshes only while visible, batching the service's change events. */
export class EndpointTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private view: ProxyView;
  private diagnosed: LastDiagnostics | undefined;
  private visible = false;
  private dirty = false;
  private tick: NodeJS.Timeout | undefined;
  private readonly nodes = new Map<string, TreeNode>();
  /** How many times the tree was rebuilt (tests check that hidden views do no work). */
  refreshCount = 0;

  constructor(
    private readonly service: ProxyService,
    private readonly diagnostics: DiagnosticsState,
  ) {
    super();
    this.view = service.view();
    this.diagnosed = diagnostics.current;
    this._register(service.onDidChange(() => this.invalidate()));
    this._register(diagnostics.onDidChange(() => this.invalidate()));
    this._register({ dispose: () => this.tick && clearTimeout(this.tick) });
  }

  /** Connects the TreeView's visibility: no work while hidden, one refresh when shown again. */
  attach(treeView: vscode.TreeView<TreeNode>): void {
    this.visible = treeView.visible;
    this._register(
      treeView.onDidChangeVisibility((e) => {
        this.visible = e.visible;
        if (e.visible && this.dirty) this.refresh();
        else if (!e.visible) this.scheduleTick();
      }),
    );
  }

  /** Rebuilds from the service's and the diagnostics' current state (now, whether visible or not). */
  refresh(): void {
    this.dirty = false;
    this.view = this.service.view();
    this.diagnosed = this.diagnostics.current;
    this.refreshCount++;
    this._onDidChangeTreeData.fire(undefined);
    this.scheduleTick();
  }

  /** The snapshot the tree currently shows. */
  get current(): ProxyView {
    return this.view;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const now = Date.now();
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
        item.description = l ? `${l.count} request${l.count === 1 ? '' : 's'} · use an API key` : '';
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
          item.description = `${c.active ? 'active · ' : ''}${this.view.live ? `${h.healthy}/${h.total} healthy` : `${h.total} endpoints`} · ${c.protocol}`;
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
          const diagnosis = endpointDiagnosis(this.diagnosed, node.cluster, node.endpoint);
          item.description = `${endpointDescription(e, this.view.live, now)}${diagnosis ? ` · ${diagnosisMark(diagnosis)}` : ''}`;
          item.tooltip = endpointTooltip(e, this.view.live, now, diagnosis);
          item.iconPath = endpointIcon(e, this.view.live);
          // The suffix keeps the `^endpoint\.enabled` menu clauses matching.
          item.contextValue = `endpoint.${e.disabled ? 'disabled' : 'enabled'}.${e.state}${diagnosis ? `.diagnosed-${diagnosis.verdict.status}` : ''}`;
          item.accessibilityInformation = { label: `${e.name}, ${e.disabled ? 'disabled' : STATE_LABELS[e.state]}, ${item.description}` };
        }
        return item;
      }
      case 'key': {
        const k = this.endpoint(node.cluster, node.endpoint)?.tokens[node.index];
        const item = new vscode.TreeItem(node.suffix, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        if (k) {
          item.description = keyDescription(k, now);
          item.tooltip = keyTooltip(k, now);
          const color = k.state === 'invalid' ? 'list.errorForeground' : k.state === 'cooling' ? 'list.warningForeground' : undefined;
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
        item.command = { command: Commands.addTokens, title: 'Add Tokens', arguments: [{ cluster: node.cluster, endpoint: node.endpoint }] };
        return item;
      }
    }
  }

  getChildren(node?: TreeNode): TreeNode[] {
    const stats = this.view.stats;
    if (!stats) return [];
    if (!node) {
      const logins = (stats.logins ?? []).map((l) => this.node({ kind: 'login', id: `l:${l.family}:${l.message}`, family: l.family, message: l.message }));
      return [this.node({ kind: 'status', id: 'status' }), ...logins, ...stats.clusters.map((c) => this.node({ kind: 'cluster', id: `c:${c.name}`, cluster: c.name }))];
    }
    if (node.kind === 'cluster') {
      return (this.cluster(node.cluster)?.endpoints ?? []).map((e) => this.node({ kind: 'endpoint', id: `e:${node.cluster}/${e.name}`, cluster: node.cluster, endpoint: e.name }));
    }
    if (node.kind === 'endpoint') {
      const e = this.endpoint(node.cluster, node.endpoint);
      if (!e) return [];
      if (e.tokens.length === 0) return [this.node({ kind: 'noKeys', id: `n:${node.cluster}/${node.endpoint}`, cluster: node.cluster, endpoint: node.endpoint })];
      return e.tokens.map((k, index) => this.node({ kind: 'key', id: `k:${node.cluster}/${node.endpoint}/${index}${k.suffix}`, cluster: node.cluster, endpoint: node.endpoint, suffix: k.suffix, index }));
    }
    return [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'cluster' || node.kind === 'status' || node.kind === 'login') return undefined;
    if (node.kind === 'endpoint') return this.nodes.get(`c:${node.cluster}`);
    return this.nodes.get(`e:${node.cluster}/${node.endpoint}`);
  }

  private invalidate(): void {
    if (this.visible) this.refresh();
    else this.dirty = true;
  }

  /** Countdowns (cooling keys, open circuits) need a refresh each second while shown. */
  private scheduleTick(): void {
    if (this.tick) clearTimeout(this.tick);
    this.tick = undefined;
    if (!this.visible || !this.view.live) return;
    const counting = this.view.stats?.clusters.some((c) => c.endpoints.some((e) => e.state === 'open' || e.tokens.some((k) => k.state === 'cooling')));
    if (counting) this.tick = setTimeout(() => this.refresh(), 1000);
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
