// The Add Cluster and Add Endpoint wizards driven as a user would: nothing written before the last step, Escape leaves nothing, Back keeps answers, and the URL probe says what answered.
import * as assert from 'assert';
import * as http from 'http';
import * as net from 'net';
import * as vscode from 'vscode';
import { setup, suite, suiteSetup, suiteTeardown, teardown, test } from 'mocha';
import { Commands } from '../../../src/vscode/constants';
import type { ShownStep } from '../../../src/vscode/wizard/multiStep';
import { api, configure, freePort, resetSettings, startUpstream, Upstream, waitFor } from './helpers';

/** A local server answering every request with one status, remembering what it was asked. */
interface FixedServer {
  url: string;
  port: number;
  hits: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function answering(status: number): Promise<FixedServer> {
  const hits: FixedServer['hits'] = [];
  const server = http.createServer((req, res) => {
    hits.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `answering ${status} on purpose` } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

type ClusterSetting = { name: string; protocol?: string; endpoints: { name: string; baseUrl: string }[] };

function clustersWritten(): ClusterSetting[] | undefined {
  return vscode.workspace.getConfiguration('switchyard').inspect<ClusterSetting[]>('clusters')?.globalValue;
}

const accept = () => vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
const escape = () => vscode.commands.executeCommand('workbench.action.closeQuickOpen');
const back = () => vscode.commands.executeCommand('workbench.action.quickInputBack');

/** The wizard step numbered `n` once it is on screen. */
async function stepShown(n: number, what = `step ${n}`): Promise<ShownStep> {
  const a = await api();
  return waitFor(`${what} to be on screen`, () => {
    const s = a.steps.current();
    return s && s.step === n ? s : undefined;
  });
}

/** Types into the step and presses Enter; in a pick list, once the typed text has put its item under the cursor. */
async function enter(s: ShownStep, text?: string): Promise<void> {
  if (text !== undefined) s.type(text);
  if (s.kind === 'pick' && text !== undefined) await waitFor(`"${text}" to be under the cursor`, () => s.active[0] === text);
  await accept();
}

suite('wizard', () => {
  let port: number;
  let ok: Upstream;
  let failing: FixedServer;
  let needsKey: FixedServer;
  let running: Thenable<unknown> | undefined;

  function start(command: string, args?: unknown): void {
    running = vscode.commands.executeCommand(command, args);
  }

  async function finished(): Promise<unknown> {
    const r = await running;
    running = undefined;
    return r;
  }

  suiteSetup(async () => {
    await resetSettings();
    ok = await startUpstream('ok');
    failing = await answering(503);
    needsKey = await answering(401);
    port = await freePort();
    await configure({ port });
  });

  setup(async () => {
    await configure({ clusters: undefined, activeCluster: undefined, activeClusters: undefined });
  });

  teardown(async () => {
    if ((await api()).steps.current()) await escape();
    await running;
    running = undefined;
  });

  suiteTeardown(async () => {
    await resetSettings();
    await Promise.all([ok.close(), failing.close(), needsKey.close()]);
  });

  test('Add Cluster writes nothing before its last step, then the cluster and its endpoint in one write', async () => {
    const a = await api();
    let writes = 0;
    const watch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('switchyard.clusters')) writes++;
    });
    try {
      start(Commands.addCluster);
      const name = await stepShown(1);
      assert.strictEqual(name.totalSteps, 4);
      assert.strictEqual(name.value, 'main');
      assert.strictEqual(name.hasBack, false);
      await enter(name);
      const protocol = await stepShown(2);
      assert.deepStrictEqual(protocol.items, ['anthropic', 'openai']);
      assert.ok(protocol.hasBack);
      await enter(protocol, 'anthropic');
      const url = await stepShown(3);
      assert.strictEqual(url.value, 'https://api.anthropic.com');
      assert.strictEqual(clustersWritten(), undefined, 'no cluster in settings while the URL is asked');
      assert.strictEqual(a.service.view().mode, 'unconfigured');
      await enter(url, ok.url);
      const endpointName = await stepShown(4);
      assert.match(endpointName.prompt, new RegExp(`${ok.url}: answered 200 in \\d+ ms \\(reachable\\)`));
      assert.strictEqual(endpointName.value, 'local');
      assert.strictEqual(clustersWritten(), undefined, 'no cluster in settings while the name is asked');
      await enter(endpointName);
      assert.strictEqual(await finished(), 'main');
      assert.deepStrictEqual(clustersWritten(), [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'local', baseUrl: ok.url }] }]);
      assert.strictEqual(writes, 1);
      assert.strictEqual(a.steps.current(), undefined);
    } finally {
      watch.dispose();
    }
  });

  /** Runs Add Cluster up to step `n` (1–4) with the answers main, anthropic, the ok upstream. */
  async function addClusterUpTo(n: number): Promise<ShownStep> {
    start(Commands.addCluster);
    const answers: (string | undefined)[] = [undefined, 'anthropic', ok.url];
    for (let i = 1; i < n; i++) await enter(await stepShown(i), answers[i - 1]);
    return stepShown(n);
  }

  for (const n of [1, 2, 3, 4]) {
    test(`Escape at step ${n} of Add Cluster leaves no cluster, in settings or in the proxy`, async () => {
      const a = await api();
      await addClusterUpTo(n);
      await escape();
      assert.strictEqual(await finished(), undefined);
      assert.strictEqual(clustersWritten(), undefined);
      assert.strictEqual(a.service.currentConfig, undefined);
      assert.strictEqual(a.service.view().mode, 'unconfigured');
      assert.deepStrictEqual(a.service.view().stats?.clusters ?? [], []);
      assert.strictEqual(a.steps.current(), undefined);
    });
  }

  test('Back returns to the previous step with its answer kept, and the official URL follows the protocol', async () => {
    start(Commands.addCluster);
    await enter(await stepShown(1), 'backtest');
    await enter(await stepShown(2), 'openai');
    assert.strictEqual((await stepShown(3)).value, 'https://api.openai.com');
    await back();
    const protocol = await stepShown(2, 'the protocol step again');
    await waitFor('openai to be under the cursor', () => protocol.active[0] === 'openai');
    await back();
    const name = await stepShown(1, 'the name step again');
    assert.strictEqual(name.value, 'backtest');
    assert.strictEqual(name.hasBack, false);
    await enter(name);
    await enter(await stepShown(2), 'anthropic');
    const url = await stepShown(3);
    assert.strictEqual(url.value, 'https://api.anthropic.com');
    await enter(url, `127.0.0.1:${ok.port}`);
    const endpointName = await stepShown(4);
    endpointName.type('mine');
    await back();
    const urlAgain = await stepShown(3, 'the URL step again');
    assert.strictEqual(urlAgain.value, ok.url, 'the completed URL is kept');
    assert.match(urlAgain.message ?? '', /answered 200/);
    await enter(urlAgain);
    await enter(await stepShown(4, 'the name step again'));
    assert.strictEqual(await finished(), 'backtest');
    assert.deepStrictEqual(clustersWritten(), [{ name: 'backtest', protocol: 'anthropic', endpoints: [{ name: 'local', baseUrl: ok.url }] }]);
  });

  test('a scheme-less 127.0.0.1:PORT is completed with http://, and a dead port is reported as nothing listening', async () => {
    const dead = await freePort();
    const url = await addClusterUpTo(3);
    url.type(`127.0.0.1:${dead}`);
    await waitFor('the completion to be announced', () => url.message === `Enter checks http://127.0.0.1:${dead}`);
    await accept();
    await waitFor('the probe to report', () => url.severity === 'warning');
    assert.strictEqual(url.value, `http://127.0.0.1:${dead}`);
    assert.strictEqual(url.message, `http://127.0.0.1:${dead}: nothing listens on 127.0.0.1:${dead} (connection refused). Press Enter to add it anyway (an endpoint that is down today may work tomorrow), or change the URL.`);
    assert.strictEqual(url.step, 3, 'a dead URL waits for a second Enter');
    await accept();
    const name = await stepShown(4);
    assert.match(name.prompt, /nothing listens on/);
    await enter(name);
    assert.strictEqual(await finished(), 'main');
    assert.deepStrictEqual(clustersWritten()?.[0].endpoints, [{ name: 'local', baseUrl: `http://127.0.0.1:${dead}` }]);
  });

  test('a scheme-less host name is completed with https:// as it is typed', async () => {
    const url = await addClusterUpTo(3);
    url.type('api.example.com');
    await waitFor('the completion to be announced', () => url.message === 'Enter checks https://api.example.com');
    assert.strictEqual(url.severity, 'info');
  });

  test('an upstream answering 503 is reported as up but failing, and can still be added', async () => {
    const url = await addClusterUpTo(3);
    await enter(url, failing.url);
    await waitFor('the probe to report', () => url.severity === 'warning');
    assert.match(url.message ?? '', new RegExp(`^${failing.url}: answered 503 in \\d+ ms — the endpoint is up but failing\\. Press Enter to add it anyway`));
    await accept();
    await enter(await stepShown(4), 'flaky');
    assert.strictEqual(await finished(), 'main');
    assert.deepStrictEqual(clustersWritten()?.[0].endpoints, [{ name: 'flaky', baseUrl: failing.url }]);
    assert.strictEqual(failing.hits.length, 1, 'probed once');
  });

  test('an upstream answering 401 is reachable and needs a key; the probe sends no key and asks for the models list', async () => {
    const url = await addClusterUpTo(3);
    await enter(url, needsKey.url);
    const name = await stepShown(4);
    assert.match(name.prompt, new RegExp(`^${needsKey.url}: answered 401 in \\d+ ms \\(reachable; needs a key\\)\\. A short name`));
    assert.strictEqual(needsKey.hits.length, 1);
    const hit = needsKey.hits[0];
    assert.strictEqual(hit.method, 'GET');
    assert.strictEqual(hit.path, '/v1/models');
    assert.strictEqual(hit.headers['x-api-key'], undefined);
    assert.strictEqual(hit.headers.authorization, undefined);
  });

  test('Add Endpoint asks for the URL and a name, the guess made unique, with Back', async () => {
    await configure({ clusters: [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'local', baseUrl: ok.url }] }] });
    start(Commands.addEndpoint, { cluster: 'main' });
    const url = await stepShown(1);
    assert.strictEqual(url.totalSteps, 2);
    assert.strictEqual(url.value, '');
    await enter(url, `localhost:${needsKey.port}`);
    const name = await stepShown(2);
    assert.strictEqual(name.value, 'local-2');
    await back();
    const urlAgain = await stepShown(1, 'the URL step again');
    assert.strictEqual(urlAgain.value, `http://localhost:${needsKey.port}`);
    await enter(urlAgain);
    await enter(await stepShown(2, 'the name step again'));
    assert.deepStrictEqual(await finished(), { cluster: 'main', endpoint: 'local-2' });
    assert.deepStrictEqual(clustersWritten()?.[0].endpoints.map((e) => e.name), ['local', 'local-2']);
  });

  test('Escape in Add Endpoint leaves the cluster as it was', async () => {
    const before = [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'local', baseUrl: ok.url }] }];
    await configure({ clusters: before });
    for (const n of [1, 2]) {
      start(Commands.addEndpoint, { cluster: 'main' });
      if (n === 2) await enter(await stepShown(1), ok.url);
      await stepShown(n);
      await escape();
      assert.strictEqual(await finished(), undefined);
      assert.deepStrictEqual(clustersWritten(), before);
    }
  });

  test('Add Endpoint picks the cluster first when there are several', async () => {
    await configure({ clusters: [
      { name: 'main', protocol: 'anthropic', endpoints: [{ name: 'local', baseUrl: ok.url }] },
      { name: 'spare', protocol: 'openai', endpoints: [] },
    ] });
    start(Commands.addEndpoint);
    const cluster = await stepShown(1);
    assert.strictEqual(cluster.totalSteps, 3);
    assert.deepStrictEqual(cluster.items, ['main', 'spare']);
    await enter(cluster, 'spare');
    const url = await stepShown(2);
    assert.strictEqual(url.value, 'https://api.openai.com', 'an empty cluster is offered its official URL');
    await escape();
    assert.strictEqual(await finished(), undefined);
  });

  test('Add Cluster with arguments writes the cluster and its first endpoint in one settings write', async () => {
    let writes = 0;
    const watch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('switchyard.clusters')) writes++;
    });
    try {
      const name = await vscode.commands.executeCommand(Commands.addCluster, { name: 'scripted', protocol: 'openai', baseUrl: `127.0.0.1:${ok.port}`, endpointName: 'here', weight: 3 });
      assert.strictEqual(name, 'scripted');
      assert.deepStrictEqual(clustersWritten(), [{ name: 'scripted', protocol: 'openai', endpoints: [{ name: 'here', baseUrl: ok.url, weight: 3 }] }]);
      assert.strictEqual(writes, 1);
    } finally {
      watch.dispose();
    }
  });
});
