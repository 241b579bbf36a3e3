// Names a config field the way the reader sets it: a `switchyard.*` setting in VS Code, a field of the config file headless.

/** Where the diagnostics run; it decides how a fix names a setting or a command. */
export type DiagnosticsHost = 'vscode' | 'headless';

/** Top-level config fields that VS Code has a `switchyard.*` setting for (package.json contributes.configuration). */
const VSCODE_SETTINGS = new Set(['port', 'host', 'activeCluster', 'activeClusters', 'clusters', 'timeouts', 'retry', 'health', 'prices', 'affinity', 'upstreamProxy', 'caFile']);

/** `timeouts.idleMs` → `switchyard.timeouts.idleMs` in VS Code, `timeouts.idleMs` headless; undefined when VS Code has no such setting. */
export function settingName(field: string, host: DiagnosticsHost): string | undefined {
  if (host === 'headless') return field;
  return VSCODE_SETTINGS.has(field.split('.')[0]) ? `switchyard.${field}` : undefined;
}

/** The setting as a fix names it: `` `switchyard.port` `` (setting) or `` `port` in the config file ``. */
export function settingRef(field: string, host: DiagnosticsHost): string {
  const name = settingName(field, host);
  if (name === undefined) return `\`${field}\` (headless config only)`;
  return host === 'vscode' ? `the \`${name}\` setting` : `\`${name}\` in the config file`;
}
