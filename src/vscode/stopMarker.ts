// Remembers, across this user's windows, that the user stopped the proxy, so another window does not take the port over.

import * as vscode from 'vscode';

interface Marker {
  port: number;
  at: number;
}

/** A small file in the extension's global storage (shared by every window of one user-data dir). */
export class StopMarker {
  private readonly file: vscode.Uri;

  constructor(private readonly dir: vscode.Uri) {
    this.file = vscode.Uri.joinPath(dir, 'proxy-stopped.json');
  }

  async set(port: number): Promise<void> {
    await vscode.workspace.fs.createDirectory(this.dir);
    const marker: Marker = { port, at: Date.now() };
    await vscode.workspace.fs.writeFile(this.file, Buffer.from(JSON.stringify(marker)));
  }

  async clear(): Promise<void> {
    await vscode.workspace.fs.delete(this.file).then(undefined, () => undefined);
  }

  /** Whether the user stopped the proxy on `port` in some window. */
  async isSet(port: number): Promise<boolean> {
    try {
      const marker = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(this.file)).toString('utf8')) as Marker;
      return marker.port === port;
    } catch {
      return false;
    }
  }
}
