// The proxy process crashing mid-stream: the extension host survives, the client sees a cut, the status bar says so, the proxy is back in seconds.
import * as assert from 'assert';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { api, cluster, configure, freePort, resetSettings, send, servingPort, startStream, startUpstream, Upstream, waitFor } from './helpers';

suite('proxy process crash', () => {
  let up: Upstream;
  let port: number;

  suiteSetup(async () => {
    up = await startUpstream('crashy');
    await configure({ port: await freePort(), clusters: [cluster('main', [up])] });
    port = await servingPort();
  });

  suiteTeardown(async () => {
    await resetSettings();
    await up.close();
  });

  test('a proxy process killed mid-stream: the stream is cut visibly, the status bar says what happened, the proxy is back within seconds', async function () {
    this.timeout(30_000);
    const a = await api();
    const before = a.service.view().owner?.pid;
    assert.ok(before, 'the proxy process has a pid');
    assert.notStrictEqual(before, process.pid, 'the proxy runs in a process of its own, not in the extension host');
    up.gate = new Promise<void>(() => undefined);
    const stream = await startStream(port);
    process.kill(before, 'SIGKILL');
    await assert.rejects(stream.done, 'the client sees its connection cut, never a clean-looking end');
    await waitFor('the status bar to say the proxy is restarting', () => a.statusBar.text.includes('restarting'), 5000);
    assert.match(a.statusBar.tooltip, /stopped unexpectedly \(it was killed by SIGKILL\)/);
    const started = Date.now();
    await waitFor('the proxy to serve again', () => a.service.view().mode === 'serving' && a.service.view().live, 10_000);
    assert.ok(Date.now() - started < 5000, `back after ${Date.now() - started} ms`);
    assert.notStrictEqual(a.service.view().owner?.pid, before);
    up.gate = undefined;
    assert.strictEqual((await send(port)).status, 200);
    assert.match(a.statusBar.tooltip, /Started again after the proxy process stopped unexpectedly/);
  });
});
