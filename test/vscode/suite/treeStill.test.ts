// The live tree holds still when nothing happens (an ejected endpoint, no traffic), builds tooltips with current times, and shows clusters as a user expects.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { Commands } from '../../../src/vscode/constants';
import type { ClusterNode, EndpointNode, TreeNode } from '../../../src/vscode/tree';
import { api, cluster, configure, freePort, resetSettings, send, servingPort, sleep, startUpstream, Upstream, waitFor } from './helpers';

async function clusterNode(name: string): Promise<ClusterNode> {
  const a = await api();
  const c = a.tree.getChildren().find((n): n is ClusterNode => n.kind === 'cluster' && n.cluster === name);
  assert.ok(c, `no cluster ${name} in the tree`);
  return c;
}

async function endpointNode(clusterName: string, name: string): Promise<EndpointNode> {
  const a = await api();
  const e = a.tree.getChildren(await clusterNode(clusterName)).find((n): n is EndpointNode => n.kind === 'endpoint' && n.endpoint === name);
  assert.ok(e, `no endpoint ${clusterName}/${name} in the tree`);
  return e;
}

function tooltipOf(item: vscode.TreeItem): string {
  return (item.tooltip as vscode.MarkdownString).value.replace(/\\(.)/g, '$1');
}

suite('tree holds still', () => {
  let good: Upstream;
  let bad: Upstream;
  let other: Upstream;
  let port: number;

  suiteSetup(async function () {
    this.timeout(30_000);
    good = await startUpstream('good');
    bad = await startUpstream('bad');
    other = await startUpstream('other');
    bad.status = 503;
    port = await freePort();
    await configure({
      port,
      clusters: [cluster('main', [good, bad]), cluster('other', [other]), { name: 'empty', protocol: 'anthropic', endpoints: [] }],
      activeCluster: 'main',
      health: { unhealthyAfter: 1, ejectAfter: 1, ejectionBaseMs: 120_000 },
    });
    await servingPort();
    const a = await api();
    await vscode.commands.executeCommand('workbench.view.extension.switchyard');
    await waitFor('the tree view to be visible', () => a.treeView.visible);
    await waitFor('bad to be ejected', async () => {
      await send(port);
      return a.service.view().stats?.clusters.find((c) => c.name === 'main')?.endpoints.find((e) => e.name === 'bad')?.state === 'open';
    });
  });

  suiteTeardown(async () => {
    await resetSettings();
    await Promise.all([good.close(), bad.close(), other.close()]);
  });

  test('with an ejected endpoint and no traffic, the tree and the status bar redraw at most about once a second over 10 s', async function () {
    this.timeout(20_000);
    const a = await api();
    await sleep(500);
    const fires: (TreeNode | TreeNode[] | undefined)[] = [];
    const sub = a.tree.onDidChangeTreeData((e) => fires.push(e));
    const redrawsBefore = a.tree.redrawCount;
    const statusBefore = a.statusBar.updateCount;
    try {
      await sleep(10_000);
    } finally {
      sub.dispose();
    }
    const redraws = a.tree.redrawCount - redrawsBefore;
    assert.ok(fires.length <= 10, `the tree fired ${fires.length} changes in 10 s`);
    assert.ok(redraws <= 10, `the tree redrew ${redraws} items in 10 s`);
    assert.ok(a.statusBar.updateCount - statusBefore <= 10, `the status bar changed ${a.statusBar.updateCount - statusBefore} times in 10 s`);
    // It still says when the probe is: as a clock time, which stays true.
    const item = a.tree.getTreeItem(await endpointNode('main', 'bad'));
    assert.match(String(item.description), /probe at \d{1,2}:\d\d:\d\d/);
  });

  test('"ago" and "in" times in tooltips are as of when the tooltip opens', async function () {
    this.timeout(10_000);
    const a = await api();
    const node = await endpointNode('main', 'bad');
    const first = tooltipOf(a.tree.resolveTreeItem(a.tree.getTreeItem(node), node));
    const agoFirst = Number(/last error: .*, (\d+(?:\.\d)?) s ago/.exec(first)?.[1]);
    const inFirst = Number(/next probe in (\d+) s/.exec(first)?.[1] ?? /next probe in (\d+) min/.exec(first)?.[1]);
    assert.ok(Number.isFinite(agoFirst) && Number.isFinite(inFirst), first);
    await sleep(2100);
    const later = tooltipOf(a.tree.resolveTreeItem(a.tree.getTreeItem(node), node));
    const agoLater = Number(/last error: .*, (\d+(?:\.\d)?) s ago/.exec(later)?.[1]);
    assert.ok(agoLater >= agoFirst + 2, `"ago" moved from ${agoFirst} s to ${agoLater} s`);
    assert.match(later, /last error: .* s ago \(\d{1,2}:\d\d:\d\d/);
    // The status bar's tooltip is built before anyone reads it: clock times only.
    assert.doesNotMatch(a.statusBar.tooltip, / ago\b| in \d+ s\b/);
    assert.match(a.statusBar.tooltip, /last error .* at \d{1,2}:\d\d:\d\d/);
  });

  test('an empty cluster shows an Add Endpoint row instead of expanding to nothing', async () => {
    const a = await api();
    const empty = await clusterNode('empty');
    assert.match(String(a.tree.getTreeItem(empty).description), /no endpoints yet/);
    const children = a.tree.getChildren(empty);
    assert.strictEqual(children.length, 1);
    const row = a.tree.getTreeItem(children[0]);
    assert.strictEqual(row.label, 'Add Endpoint…');
    assert.deepStrictEqual(row.command?.arguments, [{ cluster: 'empty' }]);
    assert.strictEqual(row.command?.command, Commands.addEndpoint);
  });

  test('after Switch Cluster the new active cluster is expanded and the old one collapsed', async () => {
    const a = await api();
    const before = a.tree.getTreeItem(await clusterNode('main'));
    assert.strictEqual(before.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
    await vscode.commands.executeCommand(Commands.switchCluster, { cluster: 'other' });
    await waitFor('other to be active in the tree', async () => a.tree.getTreeItem(await clusterNode('other')).contextValue === 'cluster.active');
    const now = a.tree.getTreeItem(await clusterNode('other'));
    const old = a.tree.getTreeItem(await clusterNode('main'));
    assert.strictEqual(now.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
    assert.strictEqual(old.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    // A new id for each, so VS Code draws them in these states instead of the ones it remembered.
    assert.notStrictEqual(now.id, before.id);
    assert.notStrictEqual(old.id, before.id);
    await vscode.commands.executeCommand(Commands.switchCluster, { cluster: 'main' });
  });
});
