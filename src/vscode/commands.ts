// Every Switchyard command. Inputs come from the arguments when given (tree items, tests), otherwise from pickers.

import * as vscode from 'vscode';
import type { Protocol, Strategy } from '../core/config';
import { activeClusterName, PROTOCOLS } from '../core/config';
import { redactText } from '../diagnostics/redact';
import { COMMAND_ALIASES, Commands, Settings } from './constants';
import { diagnose, diagnosticsSummary, knownSecrets } from './diagnostics';
import type { DiagnosticsResult } from './diagnostics';
import type { CodexSetup, CodexSetupArgs } from './codexSetup';
import type { DashboardPanel } from './dashboardPanel';
import type { DiagnosticsState } from './diagnosticsState';
import { Disposable } from './dispose';
import { parseKeys, plural } from './format';
import type { RequestLogBuffer } from './log';
import type { ProxyService } from './proxyService';
import { checkReachable, describeReachability, Reachability } from './reachability';
import type { ReportDocumentProvider } from './reportDocument';
import type { ReportPanel } from './reportPanel';
import type { SecretKeyStore } from './secretKeys';
import { readSetting, writeSetting } from './settings';
import { withEndpointPatch, withoutEndpoint } from './settingsModel';
import type { StatsDocumentProvider } from './statsDocument';
import type { TailFilter, TailLogsPanel } from './tailView';
import { clientBaseUrl, configuredFamilies, terminalVariables } from './terminalEnv';
import type { EndpointTreeProvider } from './tree';
import { addCluster, offerFirstCluster } from './wizard/addCluster';
import { addEndpoint, clusterItems } from './wizard/addEndpoint';
import { clustersInSettings, WizardDeps } from './wizard/endpointSteps';
import { Cancelled, must, StepTracker } from './wizard/multiStep';

/** Arguments a command accepts; tree nodes carry the same `cluster`/`endpoint`/`suffix` fields. */
export interface CommandArgs extends CodexSetupArgs {
  cluster?: string;
  endpoint?: string;
  suffix?: string;
  /** addCluster */
  name?: string;
  protocol?: Protocol;
  strategy?: Strategy;
  /** addCluster (first endpoint), addEndpoint */
  baseUrl?: string;
  endpointName?: string;
  weight?: number;
  /** addKeys: keys, one per line (or separated by spaces/commas). */
  text?: string;
  /** removeEndpoint: skip the confirmation dialog. */
  skipConfirmation?: boolean;
  /** tailLogs */
  filter?: TailFilter;
  /** runDiagnostics, openStats: do not open a view (nor offer the report's actions). */
  show?: boolean;
  /** quickActions: run this command instead of asking. */
  pick?: string;
  /** quickActions: return the menu's labels instead of showing it. */
  list?: boolean;
}

export interface AddKeysResult {
  cluster: string;
  endpoint: string;
  added: number;
  duplicates: number;
  rejected: string[];
}

export interface CommandDeps {
  service: ProxyService;
  keys: SecretKeyStore;
  channel: vscode.LogOutputChannel;
  tree: EndpointTreeProvider;
  stats: StatsDocumentProvider;
  tail: TailLogsPanel;
  dashboard: DashboardPanel;
  diagnostics: DiagnosticsState;
  codex: CodexSetup;
  /** Which wizard step is on screen. */
  steps: StepTracker;
  /** The requests this window holds; the report's history when there is no log file (always, in VS Code). */
  requests: RequestLogBuffer;
  report: ReportPanel;
  /** Where the redacted report opens when the clipboard cannot be reached. */
  reportDocument: ReportDocumentProvider;
}

/** A browser-hosted workbench may never answer a clipboard call (no permission, no focus). */
const CLIPBOARD_TIMEOUT_MS = 1500;

/** The promise's value, or undefined once `ms` passed. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
}

export class CommandController extends Disposable {
  /** The family of the cluster switched to last in this window: what Copy Base URL copies for. */
  private lastSwitched: Protocol | undefined;
  private readonly wizard: WizardDeps;

  constructor(private readonly d: CommandDeps) {
    super();
    this.wizard = { service: d.service, steps: d.steps };
    const handlers: Record<string, (arg?: CommandArgs) => unknown> = {
      [Commands.startProxy]: () => this.startProxy(),
      [Commands.stopProxy]: () => this.stopProxy(),
      [Commands.restartProxy]: () => this.restartProxy(),
      [Commands.addCluster]: (a) => addCluster(this.wizard, a),
      [Commands.addEndpoint]: (a) => addEndpoint(this.wizard, { ...a, name: a?.name ?? a?.endpointName }),
      [Commands.addKeys]: (a) => this.addKeys(a),
      [Commands.removeKey]: (a) => this.removeKey(a),
      [Commands.switchCluster]: (a) => this.switchCluster(a),
      [Commands.showLogs]: () => d.channel.show(true),
      [Commands.tailLogs]: (a) => d.tail.show({ filter: a?.filter, text: a?.text }),
      [Commands.openDashboard]: () => d.dashboard.show(),
      [Commands.runDiagnostics]: (a) => this.runDiagnostics(a),
      [Commands.copyDiagnosticsReport]: () => this.copyDiagnosticsReport(),
      [Commands.copyBaseUrl]: (a) => this.copyBaseUrl(a),
      [Commands.openStats]: (a) => this.openStats(a),
      [Commands.refresh]: () => this.refresh(),
      [Commands.quickActions]: (a) => this.quickActions(a),
      [Commands.pointCodex]: (a) => d.codex.point(a),
      [Commands.undoCodexConfig]: (a) => d.codex.undo(a),
      [Commands.disableEndpoint]: (a) => this.setDisabled(a, true),
      [Commands.enableEndpoint]: (a) => this.setDisabled(a, false),
      [Commands.probeEndpoint]: (a) => this.probeEndpoint(a),
      [Commands.removeEndpoint]: (a) => this.removeEndpoint(a),
    };
    for (const [id, handler] of Object.entries(handlers)) {
      this._register(vscode.commands.registerCommand(id, (arg?: CommandArgs) => this.run(id, () => handler(arg))));
    }
    for (const [old, id] of Object.entries(COMMAND_ALIASES)) {
      this._register(vscode.commands.registerCommand(old, (arg?: CommandArgs) => vscode.commands.executeCommand(id, arg)));
    }
  }

  /** Runs a handler: a cancelled picker ends quietly, errors become one message (and still reject for callers). */
  private async run(id: string, work: () => unknown): Promise<unknown> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof Cancelled) return undefined;
      const message = err instanceof Error ? err.message : String(err);
      this.d.channel.error(`[command] ${id}: ${message}`);
      void vscode.window.showErrorMessage(`Switchyard: ${message}`);
      throw err;
    }
  }

  // ---- proxy ----

  private async startProxy(): Promise<string | undefined> {
    await this.d.service.start();
    return this.announce();
  }

  private async stopProxy(): Promise<void> {
    if (this.servedElsewhere('stop')) return;
    await this.d.service.stop();
    vscode.window.setStatusBarMessage('Switchyard stopped', 3000);
  }

  private async restartProxy(): Promise<string | undefined> {
    if (this.servedElsewhere('restart')) return this.d.service.view().url;
    await this.d.service.restart();
    return this.announce();
  }

  /** Stop and restart act on the window that serves; this one only shows its state. */
  private servedElsewhere(verb: string): boolean {
    const v = this.d.service.view();
    if (v.mode !== 'remote') return false;
    void vscode.window.showInformationMessage(`The proxy on ${v.url} runs in another VS Code window${v.owner ? ` (extension host pid ${v.owner.pid})` : ''}; ${verb} it there.`);
    return true;
  }

  private announce(): string | undefined {
    const v = this.d.service.view();
    if (v.mode === 'serving') vscode.window.setStatusBarMessage(`Switchyard listening on ${v.url}`, 3000);
    else if (v.mode === 'remote') void vscode.window.showInformationMessage(`Switchyard already runs in another window on ${v.url}; this window shows its state.`);
    else if (v.mode === 'unconfigured') void offerFirstCluster();
    return v.url;
  }

  // ---- clusters and endpoints ----

  private async pickCluster(title: string): Promise<string> {
    const clusters = clustersInSettings();
    if (clusters.length === 0) {
      void offerFirstCluster();
      throw new Cancelled();
    }
    if (clusters.length === 1) return clusters[0].name;
    const items = clusterItems(this.d.service, clusters);
    return must(await vscode.window.showQuickPick(items, { title, placeHolder: 'Pick a cluster' })).cluster;
  }

  private async pickEndpoint(title: string, a: CommandArgs): Promise<{ cluster: string; endpoint: string }> {
    if (a.cluster && a.endpoint) return { cluster: a.cluster, endpoint: a.endpoint };
    const stats = this.d.service.view().stats;
    const all = (stats?.clusters ?? []).filter((c) => !a.cluster || c.name === a.cluster).flatMap((c) => c.endpoints.map((e) => ({ c, e })));
    if (all.length === 0) {
      if (!stats || stats.clusters.length === 0) void offerFirstCluster();
      else {
        const add = 'Add Endpoint';
        if ((await vscode.window.showInformationMessage('There is no endpoint yet.', add)) === add) await vscode.commands.executeCommand(Commands.addEndpoint, { cluster: a.cluster });
      }
      throw new Cancelled();
    }
    if (all.length === 1) return { cluster: all[0].c.name, endpoint: all[0].e.name };
    const picked = must(await vscode.window.showQuickPick(
      all.map(({ c, e }) => ({
        label: `${c.name} / ${e.name}`,
        description: e.baseUrl,
        detail: e.keys.length === 0 ? "no keys (client's own key passed through)" : `${plural(e.keys.length, 'key')}: ${e.keys.map((k) => k.suffix).join(', ')}`,
        cluster: c.name,
        endpoint: e.name,
      })),
      { title, placeHolder: 'Pick an endpoint', matchOnDescription: true },
    ));
    return { cluster: picked.cluster, endpoint: picked.endpoint };
  }

  private requireEndpoint(cluster: string, endpoint: string): void {
    const config = this.d.service.currentConfig;
    if (!config?.clusters.find((c) => c.name === cluster)?.endpoints.some((e) => e.name === endpoint)) {
      throw new Error(`there is no endpoint "${endpoint}" in cluster "${cluster}"`);
    }
  }

  private async setDisabled(a: CommandArgs = {}, disabled: boolean): Promise<void> {
    const { cluster, endpoint } = await this.pickEndpoint(`Switchyard: ${disabled ? 'Disable' : 'Enable'} Endpoint`, a);
    await writeSetting(Settings.clusters, withEndpointPatch(readSetting<unknown>(Settings.clusters, []), cluster, endpoint, { disabled: disabled ? true : undefined }));
    await this.d.service.reload();
    if (!disabled) this.d.service.resetEndpoint(cluster, endpoint);
  }

  private async removeEndpoint(a: CommandArgs = {}): Promise<boolean> {
    const { cluster, endpoint } = await this.pickEndpoint('Switchyard: Remove Endpoint', a);
    if (!a.skipConfirmation) {
      const remove = 'Remove';
      const keys = this.d.keys.keysFor(cluster, endpoint).length;
      const answer = await vscode.window.showWarningMessage(
        `Remove endpoint "${endpoint}" from cluster "${cluster}"${keys ? ` and forget its ${keys === 1 ? 'key' : `${keys} keys`}` : ''}?`,
        { modal: true },
        remove,
      );
      if (answer !== remove) return false;
    }
    await writeSetting(Settings.clusters, withoutEndpoint(readSetting<unknown>(Settings.clusters, []), cluster, endpoint));
    await this.d.keys.clear(cluster, endpoint);
    await this.d.service.reload();
    return true;
  }

  private async probeEndpoint(a: CommandArgs = {}): Promise<Reachability> {
    const { cluster, endpoint } = await this.pickEndpoint('Switchyard: Probe Endpoint', a);
    const e = this.d.service.currentConfig?.clusters.find((c) => c.name === cluster)?.endpoints.find((x) => x.name === endpoint);
    if (!e) throw new Error(`there is no endpoint "${endpoint}" in cluster "${cluster}"`);
    const timeoutMs = 5000;
    const r = await vscode.window.withProgress({ location: { viewId: 'switchyard.endpoints' }, title: `Probing ${endpoint}` }, () => checkReachable(e.baseUrl, timeoutMs));
    const words = describeReachability(r, timeoutMs);
    // Only an answer that says the endpoint works clears its record: a 5xx or 529 is the failure it already had.
    if (r.reachable && words.verdict !== 'down') {
      const reset = this.d.service.resetEndpoint(cluster, endpoint);
      void vscode.window.showInformationMessage(`${endpoint} ${words.text}${reset ? '; its failures were forgotten, so the next request may use it' : ''}.`);
    } else if (r.reachable) {
      void vscode.window.showWarningMessage(`${endpoint} ${words.text}; its failures are kept, and it stays out of rotation until it answers properly.`);
    } else {
      void vscode.window.showWarningMessage(`${endpoint} (${e.baseUrl}) cannot be reached: ${words.text}.`);
    }
    return r;
  }

  // ---- keys ----

  private async addKeys(a: CommandArgs = {}): Promise<AddKeysResult | undefined> {
    const { cluster, endpoint } = await this.pickEndpoint('Switchyard: Add Keys — to which endpoint?', a);
    this.requireEndpoint(cluster, endpoint);
    const stored = new Set(this.d.keys.keysFor(cluster, endpoint));
    const text = a.text ?? (await this.askForKeys(cluster, endpoint, stored));
    if (text === undefined) return undefined;
    const parsed = parseKeys(text);
    if (parsed.keys.length === 0) throw new Error(parsed.rejected.length ? `no key added: ${parsed.rejected.map((r) => r.reason).join('; ')}` : 'no key given');
    const { added, duplicates } = await this.d.keys.add(cluster, endpoint, parsed.keys);
    const rejected = parsed.rejected.map((r) => r.reason);
    const parts = [`Added ${added} key${added === 1 ? '' : 's'} to ${cluster}/${endpoint}`];
    if (duplicates) parts.push(`${duplicates} already there`);
    if (rejected.length) parts.push(`${rejected.length} skipped (${rejected.join('; ')})`);
    const message = `${parts.join('; ')}. Stored in VS Code's SecretStorage.`;
    if (rejected.length) void vscode.window.showWarningMessage(message);
    else void vscode.window.showInformationMessage(message);
    return { cluster, endpoint, added, duplicates, rejected };
  }

  /** A masked input box; pasted lines arrive space-separated (the box is one line), which parseKeys splits. */
  private askForKeys(cluster: string, endpoint: string, stored: Set<string>): Thenable<string | undefined> {
    return vscode.window.showInputBox({
      title: `Switchyard: Add Keys to ${cluster}/${endpoint}`,
      prompt: 'Paste one or more keys (separated by newlines, spaces or commas). They go to SecretStorage only.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => {
        if (!v.trim()) return undefined;
        const p = parseKeys(v);
        if (p.rejected.length) return { message: p.rejected.map((r) => r.reason).join('; '), severity: vscode.InputBoxValidationSeverity.Warning };
        const fresh = p.keys.filter((k) => !stored.has(k)).length;
        return { message: `${p.keys.length} key${p.keys.length === 1 ? '' : 's'}${p.keys.length - fresh ? ` (${p.keys.length - fresh} already stored)` : ''}`, severity: vscode.InputBoxValidationSeverity.Info };
      },
    });
  }

  private async removeKey(a: CommandArgs = {}): Promise<number> {
    const { cluster, endpoint } = await this.pickEndpoint('Switchyard: Remove Key — from which endpoint?', a);
    let suffix = a.suffix;
    if (!suffix) {
      const suffixes = this.d.keys.suffixes(cluster, endpoint);
      if (suffixes.length === 0) {
        void vscode.window.showInformationMessage(`${cluster}/${endpoint} has no keys.`);
        return 0;
      }
      const states = this.d.service.view().stats?.clusters.find((c) => c.name === cluster)?.endpoints.find((e) => e.name === endpoint)?.keys ?? [];
      suffix = must(await vscode.window.showQuickPick(
        suffixes.map((s) => ({ label: s, description: states.find((k) => k.suffix === s)?.state ?? '' })),
        { title: `Switchyard: Remove Key from ${cluster}/${endpoint}`, placeHolder: 'Which key?' },
      )).label;
    }
    const removed = await this.d.keys.remove(cluster, endpoint, suffix);
    if (removed === 0) throw new Error(`${cluster}/${endpoint} has no key ending in ${suffix.replace(/^…/, '')}`);
    void vscode.window.showInformationMessage(`Removed ${removed === 1 ? 'key' : `${removed} keys`} ${suffix.startsWith('…') ? suffix : `…${suffix}`} from ${cluster}/${endpoint}.`);
    return removed;
  }

  // ---- switching, stats, diagnostics ----

  /** Makes a cluster the active one of its protocol family; the other family's active cluster stays as it is. */
  private async switchCluster(a: CommandArgs = {}): Promise<string> {
    const config = this.d.service.currentConfig;
    // With one cluster per protocol, each is already active: say so rather than offer a pick that changes nothing.
    if (a.cluster === undefined && config && PROTOCOLS.every((p) => config.clusters.filter((c) => c.protocol === p).length <= 1)) {
      const add = 'Add Cluster';
      const each = config.clusters.map((c) => `"${c.name}" for ${c.protocol}`).join(', ');
      void vscode.window.showInformationMessage(`There is nothing to switch to: each cluster is already the active one of its protocol (${each}). Add another cluster of the same protocol to switch between them.`, add).then((choice) => choice === add && vscode.commands.executeCommand(Commands.addCluster));
      throw new Cancelled();
    }
    const cluster = a.cluster ?? (await this.pickCluster('Switchyard: Switch Cluster (the active one of its protocol)'));
    const picked = config?.clusters.find((c) => c.name === cluster);
    if (!config || !picked) throw new Error(`there is no cluster named "${cluster}"`);
    this.lastSwitched = picked.protocol;
    if (activeClusterName(config, picked.protocol) !== cluster) {
      const families = readSetting<Record<string, string>>(Settings.activeClusters, {});
      await writeSetting(Settings.activeClusters, { ...families, [picked.protocol]: cluster });
      // Keep the older single setting coherent when it named this family's cluster.
      if (config.clusters.find((c) => c.name === config.activeCluster)?.protocol === picked.protocol) await writeSetting(Settings.activeCluster, cluster);
      await this.d.service.reload();
      vscode.window.setStatusBarMessage(`Switchyard: cluster "${cluster}" is the active ${picked.protocol} cluster`, 3000);
    }
    return cluster;
  }

  /**
   * Copies the base URL in the form the active cluster's clients expect: the cluster's picked in the tree,
   * else the family of the cluster switched to last (asking when both families have one and none was);
   * the other family's form is named in the message.
   */
  private async copyBaseUrl(a: CommandArgs = {}): Promise<string | undefined> {
    const v = this.d.service.view();
    const config = this.d.service.currentConfig;
    const root = v.url ?? (config ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${v.port}` : undefined);
    const families = configuredFamilies(config);
    if (!root || !config || families.length === 0) {
      void offerFirstCluster();
      return undefined;
    }
    const VARS = { anthropic: 'ANTHROPIC_BASE_URL', openai: 'OPENAI_BASE_URL' } as const;
    const protocolOf = (name: string | undefined) => config.clusters.find((c) => c.name === name)?.protocol;
    const family = a.protocol ?? protocolOf(a.cluster) ?? (families.length === 1 ? families[0] : (this.lastSwitched ?? (await this.pickFamily(root, families))));
    const url = clientBaseUrl(root, family);
    const other = families.find((f) => f !== family);
    const also = other ? ` (${other === 'openai' ? 'OpenAI' : 'Anthropic'} clients: ${clientBaseUrl(root, other)} as ${VARS[other]})` : '';
    const copied = await withTimeout(Promise.resolve(vscode.env.clipboard.writeText(url)).then(() => true), CLIPBOARD_TIMEOUT_MS).catch(() => false);
    if (copied) void vscode.window.showInformationMessage(`Copied ${url} — use it as ${VARS[family]}${also}.`);
    else void vscode.window.showInformationMessage(`Switchyard base URL for ${VARS[family]}: ${url}${also} (the clipboard is not available here; copy it from this message).`);
    return url;
  }

  private async pickFamily(root: string, families: Protocol[]): Promise<Protocol> {
    const VARS = { anthropic: 'ANTHROPIC_BASE_URL', openai: 'OPENAI_BASE_URL' } as const;
    return must(await vscode.window.showQuickPick(
      families.map((f) => ({ label: clientBaseUrl(root, f), description: `${VARS[f]} — ${f === 'anthropic' ? 'Claude Code, Anthropic SDKs' : 'OpenAI SDKs (Codex: Point Codex at Switchyard)'}`, family: f })),
      { title: 'Switchyard: Copy Base URL', placeHolder: 'Which clients is it for?' },
    )).family;
  }

  private async openStats(a: CommandArgs = {}): Promise<string> {
    if (a.show !== false) await this.d.stats.open();
    return this.d.stats.provideTextDocumentContent();
  }

  private async refresh(): Promise<void> {
    await this.d.service.refresh();
    this.d.tree.refresh();
  }

  /** Runs every check under a progress notification and keeps the result for the tree's marks and copying. */
  private async diagnoseNow(): Promise<DiagnosticsResult> {
    const service = this.d.service;
    const view = service.view();
    const config = service.currentConfig;
    const terminalEnv = readSetting<boolean>(Settings.terminalEnv, true) ? terminalVariables(view.url ?? (config ? `http://${config.host}:${view.port}` : undefined), configuredFamilies(config)) : {};
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Switchyard: running diagnostics…' }, () =>
      diagnose({ view, config, keys: this.d.keys, run: (input) => service.diagnose(input), terminalEnv, recentRequests: this.d.requests.all() }),
    );
    this.d.diagnostics.set(result, config);
    return result;
  }

  private async runDiagnostics(a: CommandArgs = {}): Promise<string> {
    const result = await this.diagnoseNow();
    if (a.show !== false) {
      this.d.report.show(result.doc);
      void this.offerReportActions(result);
    }
    return result.markdown;
  }

  /** The counts, with the way to share the report; not awaited, so the command returns while the message is up. */
  private async offerReportActions(result: DiagnosticsResult): Promise<void> {
    const copy = 'Copy Redacted Report';
    const show = 'Show Report';
    const summary = diagnosticsSummary(result);
    const choice = await (result.status === 'ok' ? vscode.window.showInformationMessage(summary, copy, show) : vscode.window.showWarningMessage(summary, copy, show));
    if (choice === copy) await vscode.commands.executeCommand(Commands.copyDiagnosticsReport);
    else if (choice === show) this.d.report.show(result.doc);
  }

  /** Copies the last report (running one first if there is none) for a bug report; returns the text copied. */
  private async copyDiagnosticsReport(): Promise<string> {
    const result = this.d.diagnostics.current?.result ?? (await this.diagnoseNow());
    // The core already redacted the report; this also covers the notes added here and keys added since.
    const text = redactText(result.markdown, knownSecrets(this.d.service.currentConfig, this.d.keys));
    const copied = await withTimeout(Promise.resolve(vscode.env.clipboard.writeText(text)).then(() => true), CLIPBOARD_TIMEOUT_MS).catch(() => false);
    if (copied) {
      void vscode.window.showInformationMessage('Copied the diagnostics report: keys appear only as …a1b2, and it holds no prompts or completions. Paste it into a bug report.');
    } else {
      await this.d.reportDocument.open(text);
      void vscode.window.showInformationMessage('The clipboard is not available here; the redacted report is open in a read-only editor to copy from.');
    }
    return text;
  }

  private async quickActions(a: CommandArgs = {}): Promise<unknown> {
    const mode = this.d.service.view().mode;
    const items: { label: string; description?: string; command: string }[] = [];
    if (mode === 'unconfigured') items.push({ label: '$(add) Add Cluster', command: Commands.addCluster });
    else {
      items.push({ label: '$(copy) Copy Base URL', command: Commands.copyBaseUrl });
      const codex = await this.d.codex.pointing();
      if (codex === 'pointed') items.push({ label: '$(terminal) Undo Codex Configuration', description: 'Codex goes through Switchyard now', command: Commands.undoCodexConfig });
      else items.push({ label: '$(terminal) Point Codex at Switchyard', command: Commands.pointCodex });
      items.push({ label: '$(layers) Switch Cluster', command: Commands.switchCluster });
      items.push({ label: '$(key) Add Keys', command: Commands.addKeys });
      items.push({ label: '$(plug) Add Endpoint', command: Commands.addEndpoint });
    }
    items.push({ label: '$(output) Show Logs', command: Commands.showLogs });
    items.push({ label: '$(graph) Open Dashboard', command: Commands.openDashboard });
    items.push({ label: '$(list-flat) Tail Logs', command: Commands.tailLogs });
    items.push({ label: '$(json) Open Stats', command: Commands.openStats });
    items.push({ label: '$(pulse) Run Diagnostics', command: Commands.runDiagnostics });
    if (mode === 'serving') {
      items.push({ label: '$(debug-restart) Restart Proxy', command: Commands.restartProxy });
      items.push({ label: '$(debug-stop) Stop Proxy', command: Commands.stopProxy });
    } else if (mode !== 'remote' && mode !== 'unconfigured') items.push({ label: '$(play) Start Proxy', command: Commands.startProxy });
    items.push({ label: '$(settings-gear) Open Settings', command: 'workbench.action.openSettings' });
    if (a.list) return items.map((i) => i.label);
    const command = a.pick ?? must(await vscode.window.showQuickPick(items, { title: 'Switchyard', placeHolder: 'What do you want to do?' })).command;
    if (command === 'workbench.action.openSettings') return vscode.commands.executeCommand(command, 'switchyard');
    return vscode.commands.executeCommand(command);
  }
}
