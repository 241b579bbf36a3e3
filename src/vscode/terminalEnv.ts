// Points new integrated terminals at the proxy (ANTHROPIC_BASE_URL / OPENAI_BASE_URL) while `switchyard.terminalEnv` is on.

import * as vscode from 'vscode';
import { Protocol, PROTOCOLS, SwitchyardConfig } from '../core/config';
import { Settings } from './constants';
import { Disposable } from './dispose';
import type { ProxyService } from './proxyService';
import { readSetting } from './settings';

export const ANTHROPIC_BASE_URL = 'ANTHROPIC_BASE_URL';
export const OPENAI_BASE_URL = 'OPENAI_BASE_URL';

/** The base URL a client of a family is given: the OpenAI SDKs expect the /v1 prefix in it, the Anthropic ones add it themselves. */
export function clientBaseUrl(url: string, family: Protocol): string {
  return family === 'openai' ? `${url}/v1` : url;
}

/** The variables a terminal should get: one per protocol family that has a cluster. */
export function terminalVariables(url: string | undefined, families: readonly Protocol[]): Record<string, string> {
  if (!url) return {};
  const vars: Record<string, string> = {};
  if (families.includes('anthropic')) vars[ANTHROPIC_BASE_URL] = clientBaseUrl(url, 'anthropic');
  if (families.includes('openai')) vars[OPENAI_BASE_URL] = clientBaseUrl(url, 'openai');
  return vars;
}

/** The protocol families a config has clusters of, Anthropic first. */
export function configuredFamilies(config: SwitchyardConfig | undefined): Protocol[] {
  return PROTOCOLS.filter((p) => config?.clusters.some((c) => c.protocol === p));
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
    const vars = enabled && reachable ? terminalVariables(url, configuredFamilies(config)) : {};
    const key = JSON.stringify(vars);
    if (key === this.applied) return;
    this.applied = key;
    this.collection.clear();
    for (const [name, value] of Object.entries(vars)) this.collection.replace(name, value);
    const names = Object.keys(vars);
    this.collection.description = names.length
      ? new vscode.MarkdownString(`Switchyard points \`${names.join('`, `')}\` at its local failover proxy ${url}, so \`claude\` and the SDKs use it with no set-up (setting \`switchyard.terminalEnv\`). Codex reads its own \`config.toml\` instead: run **Switchyard: Point Codex at Switchyard**.`)
      : undefined;
  }
}
