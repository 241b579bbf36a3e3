// Test-only extension: a neighbour that busy-loops the shared extension host (busyMs out of every periodMs) until told to stop.
import * as vscode from 'vscode';

export interface BusyReport {
  /** How many busy spells ran. */
  spells: number;
  busyMs: number;
}

let timer: NodeJS.Timeout | undefined;
let spells = 0;
let busyMs = 0;

function spin(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy on purpose: nothing else on this thread runs meanwhile.
  }
  spells++;
  busyMs += ms;
}

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('switchyardTest.busy.start', (o: { busyMs?: number; periodMs?: number } = {}) => {
      clearInterval(timer);
      spells = 0;
      busyMs = 0;
      timer = setInterval(() => spin(o.busyMs ?? 300), o.periodMs ?? 1000);
    }),
    vscode.commands.registerCommand('switchyardTest.busy.stop', (): BusyReport => {
      clearInterval(timer);
      timer = undefined;
      return { spells, busyMs };
    }),
    { dispose: () => clearInterval(timer) },
  );
}
