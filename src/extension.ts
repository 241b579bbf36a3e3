// TEMPORARY placeholder extension created by the vscode-host harness work; delete when the real one lands.
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left);
  item.text = 'Switchyard (placeholder)';
  item.show();
  context.subscriptions.push(item);
}

export function deactivate(): void {}
