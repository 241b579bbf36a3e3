// Deactivation (runs last): deactivate() lets an in-flight stream finish within the grace period and closes the port.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { suite, suiteTeardown, test } from 'mocha';
import { cluster, configure, EXTENSION_ID, freePort, listening, resetSettings, servingPort, startStream, startUpstream, Upstream } from './helpers';

suite('deactivate', () => {
  let up: Upstream | undefined;

  suiteTeardown(async () => {
    await resetSettings();
    await up?.close();
  });

  test('deactivate() waits for an in-flight stream, then the port is closed', async () => {
    up = await startUpstream('last');
    const port = await freePort();
    await configure({ port, clusters: [cluster('main', [up])] });
    await servingPort();
    let open!: () => void;
    up.gate = new Promise<void>((r) => (open = r));
    const stream = await startStream(port);

    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    // The same module instance the extension host activated (require cache).
    const main = require(path.join(ext.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void> | undefined };
    const stopping = main.deactivate();
    assert.ok(stopping, 'deactivate returns the stop promise');
    setTimeout(open, 300);
    await stopping;
    const body = await stream.done;
    assert.match(body, /event: message_stop/);
    assert.strictEqual(await listening(port), false);
  });
});
