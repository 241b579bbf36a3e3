// Messages the proxy service asks for, each with the action that fixes the problem; never blocks the caller.

import * as vscode from 'vscode';
import { describeHolder, PortHolder } from '../core/portOwner';
import { Commands, Settings } from './constants';
import type { ProxyNotifier } from './proxyService';
import { freePort } from '../core/ports';
import type { SecretKeyStore } from './secretKeys';
import { readSetting, writeSetting } from './settings';
import { KeysInSettings, withoutSettingsKeys } from './settingsModel';

const USE_ANOTHER_PORT = 'Use Another Port';
const RETRY = 'Retry';
const OPEN_SETTINGS = 'Open Settings';
const MOVE_KEYS = 'Move to SecretStorage';

/** An action that failed (a settings file VS Code cannot write, SecretStorage unavailable) says so instead of rejecting unseen. */
function showFailure(err: unknown): void {
  void vscode.window.showErrorMessage(`Switchyard: ${err instanceof Error ? err.message : String(err)}`);
}

/** Shows each distinct message once until it changes, so polling and reloads do not pile up toasts. */
export class Notifier implements ProxyNotifier {
  private lastForeign: string | undefined;
  private lastInvalid: string | undefined;
  private keysOffered = false;
  private lastCrash: string | undefined;

  constructor(private readonly tokens: SecretKeyStore) {}

  /** A crash of the proxy process: once per message (a crash loop does not pile up toasts), with the log one click away. */
  proxyCrashed(message: string): void {
    if (this.lastCrash === message) return;
    this.lastCrash = message;
    const show = 'Show Logs';
    void vscode.window.showWarningMessage(`Switchyard: ${message}`, show).then((c) => (c === show ? vscode.commands.executeCommand(Commands.showLogs) : undefined), showFailure);
  }

  portHeldByForeignProcess(holder: PortHolder, host: string, port: number): void {
    const text = `Switchyard cannot listen on ${host}:${port}: ${describeHolder(holder, port)}.`;
    if (this.lastForeign === text) return;
    this.lastForeign = text;
    void vscode.window.showWarningMessage(text, USE_ANOTHER_PORT, RETRY).then(async (choice) => {
      this.lastForeign = undefined;
      if (choice === USE_ANOTHER_PORT) {
        const next = await freePort(host);
        await writeSetting(Settings.port, next);
        void vscode.window.showInformationMessage(`Switchyard now uses port ${next} (setting switchyard.port). Tools in new terminals pick it up; others need the new base URL.`);
      } else if (choice === RETRY) {
        // The command reports its own failure.
        await vscode.commands.executeCommand(Commands.startProxy).then(undefined, () => undefined);
      }
    }).then(undefined, showFailure);
  }

  settingsInvalid(message: string, setting: string): void {
    if (this.lastInvalid === message) return;
    this.lastInvalid = message;
    void vscode.window.showErrorMessage(`Switchyard settings: ${message}. The last good configuration stays in force.`, OPEN_SETTINGS).then((choice) => {
      this.lastInvalid = undefined;
      if (choice === OPEN_SETTINGS) void vscode.commands.executeCommand('workbench.action.openSettings', setting.replace(/\[.*$/, ''));
    });
  }

  settingsHoldKeys(found: KeysInSettings[]): void {
    if (this.keysOffered) return;
    this.keysOffered = true;
    const where = found.map((f) => `${f.cluster}/${f.endpoint}`).join(', ');
    void vscode.window
      .showWarningMessage(`switchyard.clusters holds keys in settings (${where}). Keys are ignored there; Switchyard keeps keys only in SecretStorage.`, MOVE_KEYS)
      .then(async (choice) => {
        this.keysOffered = false;
        if (choice !== MOVE_KEYS) return;
        for (const f of found) await this.tokens.add(f.cluster, f.endpoint, f.keys);
        await writeSetting(Settings.clusters, withoutSettingsKeys(readSetting<unknown>(Settings.clusters, [])));
        void vscode.window.showInformationMessage(`Moved ${found.reduce((n, f) => n + f.keys.length, 0)} keys to SecretStorage and removed them from settings.`);
      })
      .then(undefined, showFailure);
  }

  listenFailed(message: string): void {
    void vscode.window.showErrorMessage(`Switchyard: ${message}`, USE_ANOTHER_PORT).then(async (choice) => {
      if (choice === USE_ANOTHER_PORT) await writeSetting(Settings.port, await freePort('127.0.0.1'));
    }).then(undefined, showFailure);
  }
}
