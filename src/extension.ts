// activate()/deactivate(): builds the services and registers them; the proxy starts in the background.

import * as vscode from 'vscode';
import { CodexSetup } from './vscode/codexSetup';
import { CommandController } from './vscode/commands';
import { DashboardPanel } from './vscode/dashboardPanel';
import { ContextKeys, OUTPUT_CHANNEL_NAME, Settings, TREE_VIEW_ID } from './vscode/constants';
import { DiagnosticsState } from './vscode/diagnosticsState';
import { ChannelLogger, RequestLogBuffer } from './vscode/log';
import { Notifier } from './vscode/notifications';
import { ProxyService } from './vscode/proxyService';
import { ReportDocumentProvider } from './vscode/reportDocument';
import { ReportPanel } from './vscode/reportPanel';
import { SecretKeyStore } from './vscode/secretKeys';
import { affectsSwitchyard, readConfig, readSetting } from './vscode/settings';
import { StatsDocumentProvider } from './vscode/statsDocument';
import { StatusBar } from './vscode/statusBar';
import { StopMarker } from './vscode/stopMarker';
import { TailLogsPanel } from './vscode/tailView';
import { TerminalEnvironment } from './vscode/terminalEnv';
import { EndpointTreeProvider, TreeNode } from './vscode/tree';
import { StepTracker } from './vscode/wizard/multiStep';

/** What activate() returns: the live objects, for tests and other extensions. */
export interface SwitchyardApi {
  readonly service: ProxyService;
  readonly tree: EndpointTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  readonly keys: SecretKeyStore;
  readonly requests: RequestLogBuffer;
  readonly statusBar: StatusBar;
  readonly tail: TailLogsPanel;
  readonly dashboard: DashboardPanel;
  /** The Add Cluster / Add Endpoint step on screen, if any. */
  readonly steps: StepTracker;
  readonly report: ReportPanel;
  readonly reportDocument: ReportDocumentProvider;
  /** Settles when the first settings read (and start, with autoStart) is done. */
  readonly ready: Promise<void>;
  /** How long activate() held the extension host, and how long until `ready` (ms). */
  readonly activation: { activateMs: number; readyMs?: number };
}

let service: ProxyService | undefined;

export function activate(context: vscode.ExtensionContext): SwitchyardApi {
  const activationStarted = performance.now();
  const channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(channel);
  const logger = new ChannelLogger(channel);
  logger.setLevel(readSetting(Settings.logLevel, 'info'));

  const keys = new SecretKeyStore(context.secrets);
  const requests = new RequestLogBuffer();
  let treeView: vscode.TreeView<TreeNode> | undefined;
  let dashboard: DashboardPanel | undefined;
  const proxy = new ProxyService({
    keys,
    logger,
    requests,
    stopMarker: new StopMarker(context.globalStorageUri),
    notifier: new Notifier(keys),
    readSettings: readConfig,
    autoStart: () => readSetting(Settings.autoStart, true),
    wantsFastUpdates: () => vscode.window.state.focused || treeView?.visible === true || dashboard?.isVisible === true,
    logLevel: () => readSetting(Settings.logLevel, 'info'),
    cliPath: context.asAbsolutePath('dist/cli.js'),
    usageFile: vscode.Uri.joinPath(context.globalStorageUri, 'usage.json').fsPath,
    historyFile: vscode.Uri.joinPath(context.globalStorageUri, 'history.json').fsPath,
  });
  service = proxy;
  context.subscriptions.push(keys, requests, proxy);

  const diagnostics = new DiagnosticsState(proxy);
  const tree = new EndpointTreeProvider(proxy, diagnostics);
  treeView = vscode.window.createTreeView(TREE_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  tree.attach(treeView);
  const statusBar = new StatusBar(proxy);
  const stats = new StatsDocumentProvider(proxy);
  const tail = new TailLogsPanel(requests, proxy);
  dashboard = new DashboardPanel(proxy, requests);
  context.subscriptions.push(diagnostics, tree, treeView, statusBar, stats, tail, dashboard);
  context.subscriptions.push(new TerminalEnvironment(context.environmentVariableCollection, proxy));
  const codex = new CodexSetup(proxy, context.globalState);
  const steps = new StepTracker();
  const report = new ReportPanel();
  const reportDocument = new ReportDocumentProvider();
  context.subscriptions.push(codex, steps, report, reportDocument, new CommandController({ service: proxy, keys, channel, tree, stats, tail, dashboard, diagnostics, codex, steps, requests, report, reportDocument }));

  const setContext = () => {
    const v = proxy.view();
    void vscode.commands.executeCommand('setContext', ContextKeys.mode, v.mode);
    void vscode.commands.executeCommand('setContext', ContextKeys.hasClusters, (v.stats?.clusters.length ?? 0) > 0);
  };
  context.subscriptions.push(proxy.onDidChangeMode(setContext));
  setContext();

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsSwitchyard(e)) return;
      logger.setLevel(readSetting(Settings.logLevel, 'info'));
      proxy.setLogLevel(readSetting(Settings.logLevel, 'info'));
      // A cluster for Codex may have just been added: that is when the offer to point Codex at Switchyard helps.
      proxy.reload().then(() => codex.offer(), showFailure).then(undefined, showFailure);
    }),
  );

  const ready = proxy.initialize();
  const activation: { activateMs: number; readyMs?: number } = { activateMs: 0 };
  ready.then(() => {
    activation.readyMs = performance.now() - activationStarted;
    return codex.offer();
  }, showFailure).then(undefined, showFailure);
  activation.activateMs = performance.now() - activationStarted;
  return { service: proxy, tree, treeView, keys, requests, statusBar, tail, dashboard, steps, report, reportDocument, ready, activation };
}

/** A failure of work nobody awaits (already logged by the service): a message, not an unhandled rejection. */
function showFailure(err: unknown): void {
  void vscode.window.showErrorMessage(`Switchyard: ${err instanceof Error ? err.message : String(err)}`);
}

/** Stops the proxy; in-flight requests get a short grace period. */
export function deactivate(): Promise<void> | undefined {
  const s = service;
  service = undefined;
  return s?.shutdown();
}
