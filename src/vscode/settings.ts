// Reads and writes the `switchyard.*` settings; writes go where the value is already defined, else to user settings.

import * as vscode from 'vscode';
import { CONFIG_SECTION, Settings } from './constants';
import { configFromSettings, SettingsResult, SettingsValues } from './settingsModel';

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(CONFIG_SECTION);
}

/** The raw values of the settings that make up the proxy config. */
export function readSettingsValues(): SettingsValues {
  const s = section();
  return {
    port: s.get(Settings.port),
    host: s.get(Settings.host),
    activeCluster: s.get(Settings.activeCluster),
    activeClusters: s.get(Settings.activeClusters),
    clusters: s.get(Settings.clusters),
    timeouts: s.get(Settings.timeouts),
    retry: s.get(Settings.retry),
    health: s.get(Settings.health),
    prices: s.get(Settings.prices),
    affinity: s.get(Settings.affinity),
    // Our bundled HTTP client does not get VS Code's proxy patching, so VS Code's http.proxy is honoured explicitly.
    upstreamProxy: s.get<string>(Settings.upstreamProxy) || vscode.workspace.getConfiguration('http').get<string>('proxy') || undefined,
    caFile: s.get(Settings.caFile),
  };
}

export function readConfig(): SettingsResult {
  return configFromSettings(readSettingsValues());
}

export function readSetting<T>(name: string, fallback: T): T {
  return section().get<T>(name, fallback);
}

/** Where a setting is defined most specifically; user settings when nowhere. */
function targetOf(name: string): vscode.ConfigurationTarget {
  const i = section().inspect(name);
  if (i?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
  if (i?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
  return vscode.ConfigurationTarget.Global;
}

export async function writeSetting(name: string, value: unknown): Promise<void> {
  await section().update(name, value, targetOf(name));
}

export function affectsSwitchyard(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(CONFIG_SECTION) || e.affectsConfiguration('http.proxy');
}
