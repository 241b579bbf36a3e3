// Several windows: a port served by another Switchyard is watched (its stats shown) and taken over when it goes away; a foreign holder is reported.
import * as assert from 'assert';
import * as net from 'net';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { Switchyard, validateConfig } from '../../../src/core';
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

  test('when another Switchyard owns the port, this window shows its stats, then takes over when it goes away', async function () {
    this.timeout(30_000);
    const port = await freePort();
    other = new Switchyard({ config: validateConfig({ port, clusters: [cluster('theirs', [theirs])] }), writeRequestLog: false, usageFile: false });
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
    if (v.holder?.kind === 'foreign' && process.platform === 'linux') assert.strictEqual(v.holder.pid, process.pid);
    await waitFor('the status bar to say the port is taken', () => a.statusBar.text.includes(`:${port} taken`));
    await new Promise<void>((r) => squatter.close(() => r()));
    await waitFor('the proxy to start once the port is free', () => a.service.view().mode === 'serving', 12_000);
    assert.strictEqual((await send(port)).status, 200);
  });
});
