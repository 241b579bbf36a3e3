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
export const back = () => vscode.commands.executeCommand('workbench.action.quickInputBack');

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
});
