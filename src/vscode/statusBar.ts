// The status-bar item: `$(radio-tower) Switchyard 3/4 · :7860`, coloured by health; a click opens the quick actions.

import * as vscode from 'vscode';
import { Commands } from './constants';
import { Disposable } from './dispose';
import type { UsageTotals } from '../core/usageLedger';
import { sumTotals } from '../core/usageLedger';
import { clusterHealth, describeLastError, describeUsage, endpointDescription, nextClockChange, plural, STATE_LABELS } from './format';
import type { ProxyService, ProxyView } from './proxyService';

export interface StatusBarContent {
  text: string;
  tooltip: string;
  /** `warning`, `error` or none. */
  level: 'ok' | 'warning' | 'error';
}

/** The status bar's text, tooltip and colour for a view of the proxy. */
export function statusBarContent(v: ProxyView, now = Date.now()): StatusBarContent {
  const port = `:${v.port}`;
  if (v.mode === 'unconfigured') return { text: '$(radio-tower) Switchyard: add a cluster', tooltip: 'Switchyard has no cluster yet. Click to set one up.', level: 'ok' };
  if (v.mode === 'invalid') return { text: '$(radio-tower) Switchyard: settings invalid', tooltip: v.problem ?? 'The switchyard.* settings are invalid.', level: 'error' };
  if (v.mode === 'foreign') {
    const who = v.holder?.kind === 'foreign' && v.holder.program ? ` by ${v.holder.program}` : '';
    return { text: `$(warning) Switchyard ${port} taken`, tooltip: `Port ${v.port} is held${who}. Click for actions (use another port).`, level: 'error' };
  }
  if (v.mode === 'failed' && v.crash?.restartAt !== undefined) return { text: `$(sync~spin) Switchyard restarting · ${port}`, tooltip: v.crash.message, level: 'warning' };
  if (v.mode === 'failed') return { text: `$(error) Switchyard ${port}`, tooltip: v.problem ?? 'The proxy could not start.', level: 'error' };
  if (v.mode === 'stopped' || v.mode === 'starting') {
    const text = v.mode === 'starting' ? `$(loading~spin) Switchyard · ${port}` : `$(radio-tower) Switchyard stopped · ${port}`;
    return { text, tooltip: v.stoppedElsewhere ? 'The proxy was stopped in another window. Click to start it.' : 'The proxy is not running. Click for actions.', level: v.mode === 'stopped' ? 'error' : 'ok' };
  }
  // One active cluster per protocol family: the glance adds them up, the tooltip tells them apart.
  const active = v.stats?.clusters.filter((c) => c.active) ?? [];
  if (active.length === 0) return { text: `$(radio-tower) Switchyard · ${port}`, tooltip: '', level: 'ok' };
  const lines = [`Switchyard ${v.url ?? ''}${v.mode === 'remote' ? ` — served by another window${v.owner ? ` (pid ${v.owner.pid})` : ''}` : ''}`];
  let healthy = 0;
  let total = 0;
  let level: StatusBarContent['level'] = 'ok';
  for (const cluster of active) {
    const h = clusterHealth(cluster);
    healthy += h.healthy;
    total += h.total;
    if (h.level === 'error' || (h.level === 'warning' && level === 'ok')) level = h.level;
    lines.push(`${cluster.protocol}: cluster "${cluster.name}", ${h.healthy}/${h.total} healthy`);
    const today = sumTotals(cluster.endpoints.map((e) => e.today).filter((t): t is UsageTotals => t !== undefined));
    if (today.requests > 0) lines.push(`  today: ${describeUsage(today)}`);
    // A status-bar tooltip is built before anyone reads it: clock times, never "12 s ago" or "in 28 s".
    lines.push(...cluster.endpoints.map((e) => `  ${e.name}: ${e.disabled ? 'disabled' : STATE_LABELS[e.state]} — ${endpointDescription(e, v.live, now)}${e.lastError && e.state !== 'healthy' ? `; last error ${describeLastError(e.lastError, 'later')}` : ''}`));
  }
  if (v.stats) lines.push(`${plural(v.stats.requests.total, 'request')} (${v.stats.requests.failed} failed, ${v.stats.requests.inFlight} in flight)`);
  if (v.problem) lines.push(`note: ${v.problem}`);
  if (v.crash) lines.push(`Started again after the proxy process stopped unexpectedly at ${new Date(v.crash.at).toLocaleTimeString()}: ${v.crash.message.replace(/ Starting it again in \d+ s\.$/, '')}`);
  lines.push('', 'Click for actions.');
  return { text: `$(radio-tower) Switchyard ${healthy}/${total} · ${port}`, tooltip: lines.join('\n'), level };
}

export class StatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private shown: StatusBarContent | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  /** How many times the item was changed (an unchanged item is left alone, so its open hover stays). */
  updateCount = 0;

  constructor(private readonly service: ProxyService) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('switchyard.status', vscode.StatusBarAlignment.Left, 50));
    this.item.name = 'Switchyard';
    this.item.command = Commands.quickActions;
    this._register(service.onDidChange(() => this.update()));
    this._register({ dispose: () => clearTimeout(this.clockTimer) });
    this.update();
    this.item.show();
  }

  /** What the item shows right now (tests read it). */
  get text(): string {
    return this.item.text;
  }

  get tooltip(): string {
    return String(this.item.tooltip ?? '');
  }

  update(): void {
    const view = this.service.view();
    const now = Date.now();
    const c = statusBarContent(view, now);
    // Wake when a probe falls due or a cooldown ends, which changes the words with no new snapshot.
    clearTimeout(this.clockTimer);
    const at = view.live ? nextClockChange(view.stats?.clusters.filter((x) => x.active) ?? [], now) : undefined;
    this.clockTimer = at === undefined ? undefined : setTimeout(() => this.update(), Math.min(at - now + 50, 2 ** 31 - 1));
    if (this.shown && this.shown.text === c.text && this.shown.tooltip === c.tooltip && this.shown.level === c.level) return;
    this.shown = c;
    this.updateCount++;
    this.item.text = c.text;
    this.item.tooltip = c.tooltip;
    this.item.backgroundColor = c.level === 'ok' ? undefined : new vscode.ThemeColor(c.level === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    this.item.color = c.level === 'ok' ? undefined : new vscode.ThemeColor(c.level === 'error' ? 'statusBarItem.errorForeground' : 'statusBarItem.warningForeground');
  }
}
