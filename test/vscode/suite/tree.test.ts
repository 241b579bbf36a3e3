// The tree follows injected faults: an endpoint that starts failing shows as unhealthy, then open, with its last error.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import type { EndpointNode } from '../../../src/vscode/tree';
import { api, cluster, configure, freePort, resetSettings, send, servingPort, startUpstream, Upstream, waitFor } from './helpers';

async function endpointNode(name: string, clusterName = 'main'): Promise<EndpointNode | undefined> {
  const a = await api();
  const c = a.tree.getChildren().find((n) => n.kind === 'cluster' && n.cluster === clusterName);
  return c && (a.tree.getChildren(c).find((n) => n.kind === 'endpoint' && n.endpoint === name) as EndpointNode | undefined);
}

async function endpointItem(name: string): Promise<vscode.TreeItem | undefined> {
  const a = await api();
  const e = await endpointNode(name);
  return e && a.tree.getTreeItem(e);
}

/** The tooltip as VS Code gets it when the hover opens (resolveTreeItem), without its markdown escapes. */
async function tooltipText(name: string): Promise<string> {
  const a = await api();
  const node = await endpointNode(name);
  assert.ok(node, `no endpoint ${name}`);
  const item = a.tree.resolveTreeItem(a.tree.getTreeItem(node), node);
  return (item.tooltip as vscode.MarkdownString).value.replace(/\\(.)/g, '$1');
}

function iconId(item: vscode.TreeItem | undefined): string | undefined {
  return (item?.iconPath as vscode.ThemeIcon | undefined)?.id;
}

suite('tree follows faults', () => {
  let good: Upstream;
  let bad: Upstream;
  let port: number;

  suiteSetup(async () => {
    good = await startUpstream('good');
    bad = await startUpstream('bad');
    port = await freePort();
    await configure({
      port,
      clusters: [cluster('main', [good, bad])],
      health: { unhealthyAfter: 1, ejectAfter: 2, ejectionBaseMs: 60_000 },
    });
    await servingPort();
    const a = await api();
    await vscode.commands.executeCommand('workbench.view.extension.switchyard');
    await waitFor('the tree view to be visible', () => a.treeView.visible);
  });

  suiteTeardown(async () => {
    await resetSettings();
    await Promise.all([good.close(), bad.close()]);
  });

  test('both endpoints start healthy, with success rate and latency', async () => {
    for (let i = 0; i < 4; i++) assert.strictEqual((await send(port)).status, 200);
    const item = await waitFor('the endpoint to show its stats', async () => {
      const i = await endpointItem('good');
      return /^100% of \d+ attempts? · \d+ ms$/.test(String(i?.description)) ? i : undefined;
    });
    assert.strictEqual(iconId(item), 'pass-filled');
    assert.strictEqual(item.contextValue, 'endpoint.enabled.healthy');
    assert.strictEqual(iconId(await endpointItem('bad')), 'pass-filled');
  });

  test('an endpoint answering 503 turns unhealthy with its last error, and requests still succeed through the other', async () => {
    bad.status = 503;
    const a = await api();
    const triedBefore = bad.hits.length;
    for (let i = 0; i < 6; i++) {
      const res = await send(port);
      assert.strictEqual(res.status, 200, res.body);
      assert.strictEqual(res.headers['x-switchyard-endpoint'], 'good');
    }
    assert.ok(bad.hits.length > triedBefore, 'the failing endpoint was tried');
    const item = await waitFor('the failing endpoint to show as unhealthy', async () => {
      const i = await endpointItem('bad');
      return i?.contextValue === 'endpoint.enabled.unhealthy' ? i : undefined;
    });
    assert.strictEqual(iconId(item), 'error');
    assert.match(await tooltipText('bad'), /last error: UPSTREAM_5XX/);
    await waitFor('the status bar to show 1/2', () => a.statusBar.text === `$(radio-tower) Switchyard 1/2 · :${port}`);
  });

  test('when every endpoint fails, the circuit opens and the tree shows the time to the next probe', async () => {
    const a = await api();
    good.status = 503;
    try {
      const item = await waitFor('the failing endpoint to show as open', async () => {
        await send(port);
        const i = await endpointItem('bad');
        return i?.contextValue === 'endpoint.enabled.open' ? i : undefined;
      });
      assert.strictEqual(iconId(item), 'circle-slash');
      assert.match(String(item.description), /probe at \d{1,2}:\d\d:\d\d/);
      assert.match(await tooltipText('bad'), /next probe in \d+ (s|min) \(at \d{1,2}:\d\d:\d\d/);
      await waitFor('the status bar to show 0/2', () => a.statusBar.text === `$(radio-tower) Switchyard 0/2 · :${port}`);
      // Probe Now on an endpoint that answers 503 finds the failure it already had: nothing is forgotten.
      const probed = (await vscode.commands.executeCommand('switchyard.probeEndpoint', { cluster: 'main', endpoint: 'bad' })) as { reachable: boolean; status?: number };
      assert.strictEqual(probed.status, 503);
      await a.service.settled();
      assert.strictEqual((await endpointItem('bad'))?.contextValue, 'endpoint.enabled.open');
    } finally {
      good.status = 200;
      bad.status = 200;
    }
    await vscode.commands.executeCommand('switchyard.probeEndpoint', { cluster: 'main', endpoint: 'good' });
    await waitFor('good to be healthy again', async () => (await endpointItem('good'))?.contextValue === 'endpoint.enabled.healthy');
  });

  test('Probe Now on a reachable endpoint forgets its failures', async () => {
    const r = (await vscode.commands.executeCommand('switchyard.probeEndpoint', { cluster: 'main', endpoint: 'bad' })) as { reachable: boolean };
    assert.strictEqual(r.reachable, true);
    await waitFor('the endpoint to be healthy again', async () => (await endpointItem('bad'))?.contextValue === 'endpoint.enabled.healthy');
  });

  test('Disable Endpoint takes it out of rotation and the tree says so', async () => {
    await vscode.commands.executeCommand('switchyard.disableEndpoint', { cluster: 'main', endpoint: 'bad' });
    const item = await waitFor('the endpoint to show as disabled', async () => {
      const i = await endpointItem('bad');
      return i?.contextValue?.startsWith('endpoint.disabled') ? i : undefined;
    });
    assert.strictEqual(item.description, 'disabled');
    for (let i = 0; i < 3; i++) assert.strictEqual((await send(port)).headers['x-switchyard-endpoint'], 'good');
    await vscode.commands.executeCommand('switchyard.enableEndpoint', { cluster: 'main', endpoint: 'bad' });
    await waitFor('the endpoint to be enabled', async () => (await endpointItem('bad'))?.contextValue?.startsWith('endpoint.enabled'));
  });

  test('while the view is hidden the tree does no work', async () => {
    const a = await api();
    await vscode.commands.executeCommand('workbench.view.explorer');
    await waitFor('the tree view to be hidden', () => !a.treeView.visible);
    const before = a.tree.refreshCount;
    for (let i = 0; i < 5; i++) await send(port);
    await new Promise((r) => setTimeout(r, 600));
    assert.strictEqual(a.tree.refreshCount, before);
    await vscode.commands.executeCommand('workbench.view.extension.switchyard');
    await waitFor('one refresh when shown again', () => a.tree.refreshCount === before + 1 || (a.treeView.visible && a.tree.refreshCount > before));
  });
});
