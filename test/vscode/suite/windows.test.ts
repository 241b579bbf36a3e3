// Several windows: a port served by another Switchyard is watched (its stats shown) and taken over when it goes away; a foreign holder is reported.
import * as assert from 'assert';
import * as net from 'net';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { Commands } from '../../../src/vscode/constants';
import { Switchyard, validateConfig } from '../../../src/core';
import { coreDashboardSource } from '../../../src/dashboard/coreSource';
import { handleDashboardRequest } from '../../../src/dashboard/headless';
import { api, cluster, configure, freePort, resetSettings, send, startUpstream, Upstream, waitFor } from './helpers';

suite('other windows', () => {
  let mine: Upstream;
  let theirs: Upstream;
  let other: Switchyard | undefined;

  suiteSetup(async () => {
    await resetSettings();
    mine = await startUpstream('mine');
    theirs = await startUpstream('theirs');
  });

  suiteTeardown(async () => {
    await other?.stop(0);
    await resetSettings();
    await Promise.all([mine.close(), theirs.close()]);
  });

  test('when another Switchyard owns the port, this window follows its state and its requests live, then takes over when it goes away', async function () {
    this.timeout(30_000);
    const port = await freePort();
    // As another window's proxy process does: the core with the event feed mounted.
    const o: Switchyard = new Switchyard({
      config: validateConfig({ port, clusters: [cluster('theirs', [theirs])] }),
      writeRequestLog: false,
      usageFile: false,
      routes: (req, res): boolean => handleDashboardRequest(req, res, { source: coreDashboardSource(o), distDir: __dirname }),
    });
    other = o;
    await other.start(port, '127.0.0.1');
    assert.strictEqual((await send(port)).headers['x-switchyard-endpoint'], 'theirs');

    await configure({ port, clusters: [cluster('main', [mine])] });
    const a = await api();
    const remote = await waitFor('remote mode with the other window’s stats', () => {
      const v = a.service.view();
      return v.mode === 'remote' && v.live ? v : undefined;
    });
    assert.strictEqual(remote.owner?.instanceId, other.instanceId);
    assert.strictEqual(remote.stats?.activeCluster, 'theirs');
    await waitFor('the status bar to show the other window’s health and the port', () => a.statusBar.text === `$(radio-tower) Switchyard 1/1 · :${port}`);
    a.tree.refresh();
    const clusters = a.tree.getChildren().filter((n) => n.kind === 'cluster').map((n) => (n.kind === 'cluster' ? n.cluster : ''));
    assert.deepStrictEqual(clusters, ['theirs']);

    // Requests the other window serves reach this window's Tail Logs as they happen, over /_switchyard/events.
    await vscode.commands.executeCommand(Commands.tailLogs, { filter: 'all', text: 'theirs' });
    const before = a.requests.all().length;
    for (let i = 0; i < 3; i++) assert.strictEqual((await send(port)).status, 200);
    await waitFor('their requests in this window', () => a.requests.all().length >= before + 3);
    assert.ok(a.requests.all().slice(-3).every((r) => r.endpoint === 'theirs'));
    await waitFor('Tail Logs to show them', () => a.tail.state().matching >= 3);
    const countBefore = a.service.view().stats?.requests.total ?? 0;
    await send(port);
    await waitFor('the pushed snapshot to count it', () => (a.service.view().stats?.requests.total ?? 0) > countBefore, 3000);

    const stoppedAt = Date.now();
    await other.stop(0);
    other = undefined;
    await waitFor('this window to take the port over', () => a.service.view().mode === 'serving', 10_000);
    const tookMs = Date.now() - stoppedAt;
    assert.ok(tookMs < 6000, `took over after ${tookMs} ms`);
    const res = await send(port);
    assert.strictEqual(res.status, 200);
    assert.strictEqual(res.headers['x-switchyard-endpoint'], 'mine');
  });

  test('a foreign program on the port is reported by pid, and the proxy starts once the port is free', async function () {
    this.timeout(30_000);
    const port = await freePort();
    const squatter = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    const a = await api();
    await configure({ port });
    const v = await waitFor('foreign mode', () => (a.service.view().mode === 'foreign' ? a.service.view() : undefined));
    assert.strictEqual(v.holder?.kind, 'foreign');
    // This platform (Linux) names the holder: the squatter is this extension host.
    assert.strictEqual(v.holder.kind === 'foreign' ? v.holder.pid : undefined, process.pid);
    await waitFor('the status bar to say the port is taken', () => a.statusBar.text.includes(`:${port} taken`));
    await new Promise<void>((r) => squatter.close(() => r()));
    await waitFor('the proxy to start once the port is free', () => a.service.view().mode === 'serving', 12_000);
    assert.strictEqual((await send(port)).status, 200);
  });
});
