// Every id the extension shares with package.json: commands, views, settings, secrets and context keys.

export const EXTENSION_ID = 'switchyard.switchyard';

/** Command ids, identical to `contributes.commands` in package.json. */
export const Commands = {
  startProxy: 'switchyard.startProxy',
  stopProxy: 'switchyard.stopProxy',
  restartProxy: 'switchyard.restartProxy',
  addCluster: 'switchyard.addCluster',
  addEndpoint: 'switchyard.addEndpoint',
  addKeys: 'switchyard.addKeys',
  removeKey: 'switchyard.removeKey',
  switchCluster: 'switchyard.switchCluster',
  showLogs: 'switchyard.showLogs',
  tailLogs: 'switchyard.tailLogs',
  openDashboard: 'switchyard.openDashboard',
  runDiagnostics: 'switchyard.runDiagnostics',
  copyDiagnosticsReport: 'switchyard.copyDiagnosticsReport',
  copyBaseUrl: 'switchyard.copyBaseUrl',
  openStats: 'switchyard.openStats',
  refresh: 'switchyard.refresh',
  quickActions: 'switchyard.quickActions',
  pointCodex: 'switchyard.pointCodex',
  undoCodexConfig: 'switchyard.undoCodexConfig',
  // Tree-only (hidden from the palette):
  disableEndpoint: 'switchyard.disableEndpoint',
  enableEndpoint: 'switchyard.enableEndpoint',
  probeEndpoint: 'switchyard.probeEndpoint',
  removeEndpoint: 'switchyard.removeEndpoint',
} as const;

/** Earlier names of commands, still registered so keybindings and scripts that use them keep working. */
export const COMMAND_ALIASES: Readonly<Record<string, string>> = {
  'switchyard.addTokens': Commands.addKeys,
  'switchyard.removeToken': Commands.removeKey,
};

export type CommandId = (typeof Commands)[keyof typeof Commands];

export const VIEW_CONTAINER_ID = 'switchyard';
export const TREE_VIEW_ID = 'switchyard.endpoints';

/** The settings section; every setting is `switchyard.<name>`. */
export const CONFIG_SECTION = 'switchyard';

export const Settings = {
  port: 'port',
  host: 'host',
  autoStart: 'autoStart',
  activeCluster: 'activeCluster',
  activeClusters: 'activeClusters',
  clusters: 'clusters',
  timeouts: 'timeouts',
  retry: 'retry',
  health: 'health',
  prices: 'prices',
  affinity: 'affinity',
  logLevel: 'logLevel',
  terminalEnv: 'terminalEnv',
  upstreamProxy: 'upstreamProxy',
  caFile: 'caFile',
} as const;

/** Keys live in SecretStorage, one secret per endpoint holding a JSON list: `switchyard.tokens/<cluster>/<endpoint>`. */
export const SECRET_PREFIX = 'switchyard.tokens/';

/** Context keys used in `when` clauses of package.json. */
export const ContextKeys = {
  mode: 'switchyard.mode',
  hasClusters: 'switchyard.hasClusters',
} as const;

export const OUTPUT_CHANNEL_NAME = 'Switchyard';
export const STATS_URI = 'switchyard:/stats.json';
export const STATS_SCHEME = 'switchyard';
