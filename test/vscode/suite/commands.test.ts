// Every command runs without error when its inputs are given as arguments, and does what it says.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { Commands } from '../../../src/vscode/constants';
import { api, configure, freePort, listening, resetSettings, send, servingPort, startUpstream, Upstream, waitFor } from './helpers';

function clustersSetting(): { name: string; protocol?: string; endpoints: { name: string; baseUrl: string; disabled?: boolean }[] }[] {
  return vscode.workspace.getConfiguration('switchyard').get('clusters') ?? [];
}

suite('commands', () => {
  let up: Upstream;
  let up2: Upstream;
  let port: number;

  suiteSetup(async () => {
    await resetSettings();
    up = await startUpstream('first');
    up2 = await startUpstream('second');
    port = await freePort();
    await configure({ port });
  });

  suiteTeardown(async () => {
    await resetSettings();
    await Promise.all([up.close(), up2.close()]);
  });

  test('Add Cluster with its first endpoint starts the proxy', async () => {
    const name = await vscode.commands.executeCommand(Commands.addCluster, { name: 'main', protocol: 'anthropic', baseUrl: up.url, endpointName: 'first' });
    assert.strictEqual(name, 'main');
    assert.deepStrictEqual(clustersSetting(), [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'first', baseUrl: up.url }] }]);
    assert.strictEqual(await servingPort(), port);
    assert.strictEqual((await send(port)).headers['x-switchyard-endpoint'], 'first');
  });

  test('Add Endpoint appends to the cluster and the proxy uses it', async () => {
    const added = await vscode.commands.executeCommand(Commands.addEndpoint, { cluster: 'main', name: 'second', baseUrl: up2.url });
    assert.deepStrictEqual(added, { cluster: 'main', endpoint: 'second' });
    assert.deepStrictEqual(clustersSetting()[0].endpoints.map((e) => e.name), ['first', 'second']);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(String((await send(port)).headers['x-switchyard-endpoint']));
    assert.deepStrictEqual([...seen].sort(), ['first', 'second']);
  });

  test('Add Cluster refuses a duplicate name and a bad base URL', async () => {
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand(Commands.addCluster, { name: 'main', protocol: 'anthropic' })), /already exists/);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand(Commands.addEndpoint, { cluster: 'main', name: 'x', baseUrl: 'ftp://nope' })), /http or https/);
  });

  test('Copy Base URL puts the proxy URL on the clipboard', async () => {
    await vscode.env.clipboard.writeText('something else');
    const url = await vscode.commands.executeCommand(Commands.copyBaseUrl);
    assert.strictEqual(url, `http://127.0.0.1:${port}`);
    // The harness's browser grants clipboard access, so the clipboard must hold it.
    assert.strictEqual(await vscode.env.clipboard.readText(), url);
  });

  test('Open Stats shows the live stats as JSON without keys', async () => {
    const key = ['relay', 'stats', 'suite', 'key', '9Xq2'].join('-');
    await vscode.commands.executeCommand(Commands.addKeys, { cluster: 'main', endpoint: 'first', text: key });
    await waitFor('the key to reach the proxy', async () => ((await vscode.commands.executeCommand(Commands.openStats, { show: false })) as string).includes('…9Xq2'));
    const text = (await vscode.commands.executeCommand(Commands.openStats)) as string;
    assert.ok(!text.includes(key), 'the key itself never appears');
    assert.match(text, /"suffix": "…9Xq2"/);
    const body = JSON.parse(text) as { mode: string; stats: { activeCluster: string; endpoints: unknown[] } };
    assert.strictEqual(body.mode, 'serving');
    assert.strictEqual(body.stats.activeCluster, 'main');
    assert.strictEqual(body.stats.endpoints.length, 2);
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.toString(), 'switchyard:/stats.json');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('Show Logs, Tail Logs (errors only) and Refresh run', async () => {
    const a = await api();
    await vscode.commands.executeCommand(Commands.showLogs);
    await vscode.commands.executeCommand(Commands.tailLogs, { filter: 'errors' });
    assert.ok(a.tail.isOpen);
    assert.strictEqual(a.tail.state().filter, 'errors');
    up2.status = 500;
    for (let i = 0; i < 4; i++) await send(port);
    up2.status = 200;
    await waitFor('the request buffer to hold the requests', () => a.requests.all().length >= 4);
    assert.ok(a.requests.all().every((r) => !JSON.stringify(r).includes('stats-suite-key')), 'no key in the request records');
    await waitFor('the failed attempts to be in the request records', () => a.requests.all().some((r) => r.attempts.some((t) => t.status === 500)));
    const before = a.tree.refreshCount;
    await vscode.commands.executeCommand(Commands.refresh);
    assert.ok(a.tree.refreshCount > before, 'Refresh rebuilt the tree');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('Run Diagnostics reports the proxy and each endpoint', async () => {
    const report = (await vscode.commands.executeCommand(Commands.runDiagnostics, { show: false })) as string;
    assert.match(report, /# Switchyard diagnostics/);
    assert.match(report, /first/);
    assert.match(report, /second/);
  });

  test('Quick Actions runs the picked action', async () => {
    const url = await vscode.commands.executeCommand(Commands.quickActions, { pick: Commands.copyBaseUrl });
    assert.strictEqual(url, `http://127.0.0.1:${port}`);
  });

  test('Stop, Start and Restart Proxy close and reopen the port', async () => {
    const a = await api();
    await vscode.commands.executeCommand(Commands.stopProxy);
    assert.strictEqual(a.service.view().mode, 'stopped');
    assert.strictEqual(await listening(port), false);
    await waitFor('the status bar to say stopped', () => a.statusBar.text.includes('stopped'));
    await vscode.commands.executeCommand(Commands.startProxy);
    assert.strictEqual(a.service.view().mode, 'serving');
    assert.strictEqual((await send(port)).status, 200);
    const before = a.service.view().owner?.instanceId;
    await vscode.commands.executeCommand(Commands.restartProxy);
    assert.strictEqual(a.service.view().mode, 'serving');
    assert.notStrictEqual(a.service.view().owner?.instanceId, before);
    assert.strictEqual((await send(port)).status, 200);
  });

  test('changing switchyard.port moves the proxy without a reload', async () => {
    const a = await api();
    const next = await freePort();
    await configure({ port: next });
    assert.strictEqual(await servingPort(), next);
    assert.strictEqual((await send(next)).status, 200);
    await waitFor('the old port to close', async () => !(await listening(port)));
    port = next;
    await waitFor('the status bar to show the new port', () => a.statusBar.text.endsWith(`:${next}`));
  });

  test('Remove Endpoint drops it from the settings and its keys from SecretStorage', async () => {
    const a = await api();
    await vscode.commands.executeCommand(Commands.addKeys, { cluster: 'main', endpoint: 'second', text: 'sk-remove-me-0001\nsk-remove-me-0002' });
    assert.strictEqual(a.keys.keysFor('main', 'second').length, 2);
    const removed = await vscode.commands.executeCommand(Commands.removeEndpoint, { cluster: 'main', endpoint: 'second', skipConfirmation: true });
    assert.strictEqual(removed, true);
    assert.deepStrictEqual(clustersSetting()[0].endpoints.map((e) => e.name), ['first']);
    assert.strictEqual(a.keys.keysFor('main', 'second').length, 0);
    assert.strictEqual((await send(port)).headers['x-switchyard-endpoint'], 'first');
  });
});
