// Switch Cluster: the next request goes to the new cluster while a stream already running on the old one completes.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { Commands } from '../../../src/vscode/constants';
import { api, cluster, configure, freePort, listening, resetSettings, send, servingPort, sleep, startStream, startUpstream, Upstream, waitFor } from './helpers';

suite('switch cluster', () => {
  let a1: Upstream;
  let b1: Upstream;
  let port: number;

  suiteSetup(async () => {
    a1 = await startUpstream('alpha');
    b1 = await startUpstream('beta');
    port = await freePort();
    await configure({ port, clusters: [cluster('a', [a1]), cluster('b', [b1])], activeCluster: 'a' });
    await servingPort();
  });

  suiteTeardown(async () => {
    await resetSettings();
    await Promise.all([a1.close(), b1.close()]);
  });

  test('a stream on the old cluster completes while the next request goes to the new one', async () => {
    let open!: () => void;
    a1.gate = new Promise<void>((r) => (open = r));
    const stream = await startStream(port);
    assert.strictEqual(stream.headers['x-switchyard-endpoint'], 'alpha');

    const active = await vscode.commands.executeCommand(Commands.switchCluster, { cluster: 'b' });
    assert.strictEqual(active, 'b');
    assert.strictEqual(vscode.workspace.getConfiguration('switchyard').get('activeCluster'), 'b');

    const next = await send(port);
    assert.strictEqual(next.status, 200, next.body);
    assert.strictEqual(next.headers['x-switchyard-endpoint'], 'beta');

    open();
    const body = await stream.done;
    assert.match(body, /event: message_stop/);
    assert.match(body, /hello from alpha/);
  });

  test('the tree marks the active cluster and the status bar counts its endpoints', async () => {
    const a = await api();
    a.tree.refresh();
    const clusters = a.tree.getChildren().filter((n) => n.kind === 'cluster');
    const items = clusters.map((n) => a.tree.getTreeItem(n));
    const b = items.find((i) => i.label === 'b')!;
    const aItem = items.find((i) => i.label === 'a')!;
    assert.strictEqual(b.contextValue, 'cluster.active');
    assert.match(String(b.description), /^active · /);
    assert.strictEqual(aItem.contextValue, 'cluster');
    await waitFor('the status bar to show cluster b', () => a.statusBar.text === `$(radio-tower) Switchyard 1/1 · :${port}`);
  });

  test('changing the port moves new requests to the new port; a stream on the old port is not cut at the grace period', async () => {
    await configure({ timeouts: { shutdownGraceMs: 200 } });
    let open!: () => void;
    b1.gate = new Promise<void>((r) => (open = r));
    const stream = await startStream(port);
    const next = await freePort();
    await configure({ port: next });
    await waitFor('the proxy on the new port', async () => (await listening(next)) || undefined);
    assert.strictEqual((await send(next)).status, 200);
    // Well past shutdownGraceMs: before, the old listener cut the stream here.
    await sleep(600);
    open();
    assert.match(await stream.done, /event: message_stop/);
    port = next;
  });
});

