// Points new integrated terminals at the proxy (ANTHROPIC_BASE_URL / OPENAI_BASE_URL) while `switchyard.terminalEnv` is on.

import * as vscode from 'vscode';
import { Settings } from './constants';
import { Disposable } from './dispose';
import type { ProxyService } from './proxyService';
import { readSetting } from './settings';

export const ANTHROPIC_BASE_URL = 'ANTHROPIC_BASE_URL';
export const OPENAI_BASE_URL = 'OPENAI_BASE_URL';

/** The variables a terminal should get for the active cluster's protocol, or none. */
export function terminalVariables(url: string | undefined, protocol: 'anthropic' | 'openai' | undefined): Record<string, string> {
  if (!url || !protocol) return {};
  // The OpenAI SDKs expect the /v1 prefix in the base URL; the Anthropic ones add it themselves.
  return protocol === 'openai' ? { [OPENAI_BASE_URL]: `${url}/v1` } : { [ANTHROPIC_BASE_URL]: url };
}

export class TerminalEnvironment extends Disposable {
  private applied = '';

  constructor(private readonly collection: vscode.GlobalEnvironmentVariableCollection, private readonly service: ProxyService) {
    super();
    this._register(service.onDidChange(() => this.update()));
    this.update();
  }

  update(): void {
    const config = this.service.currentConfig;
    const enabled = readSetting<boolean>(Settings.terminalEnv, true);
    const v = this.service.view();
    // Any window's proxy will do: terminals reach it on the same port.
    const reachable = v.mode === 'serving' || v.mode === 'remote' || v.mode === 'starting';
    const url = config ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${v.port}` : undefined;
    const protocol = config?.clusters.find((c) => c.name === config.activeCluster)?.protocol;
    const vars = enabled && reachable ? terminalVariables(url, protocol) : {};
    const key = JSON.stringify(vars);
    if (key === this.applied) return;
    this.applied = key;
    this.collection.clear();
    for (const [name, value] of Object.entries(vars)) this.collection.replace(name, value);
    const names = Object.keys(vars);
    this.collection.description = names.length
      ? new vscode.MarkdownString(`Switchyard points \`${names.join('`, `')}\` at its local failover proxy ${url}, so \`claude\`, \`codex\` and the SDKs use it with no set-up (setting \`switchyard.terminalEnv\`).`)
      : undefined;
  }
}
