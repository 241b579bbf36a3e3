// Claude Code's and Codex's families side by side: one active cluster each, both base URLs in terminals, switching one leaves the other.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { Commands } from '../../../src/vscode/constants';
import { api, cluster, configure, freePort, resetSettings, send, servingPort, startUpstream, Upstream, waitFor } from './helpers';

suite('protocol families', () => {
  let claude: Upstream;
  let codex: Upstream;
  let codexBackup: Upstream;
  let port: number;

  suiteSetup(async () => {
    claude = await startUpstream('claude-up');
    codex = await startUpstream('codex-up');
    codexBackup = await startUpstream('codex-backup-up');
    port = await freePort();
    await configure({
      port,
      clusters: [cluster('main', [claude]), cluster('codex', [codex], { protocol: 'openai' }), cluster('codex-backup', [codexBackup], { protocol: 'openai' })],
      activeCluster: 'main',
    });
    port = await servingPort();
  });

  suiteTeardown(async () => {
    await resetSettings();
    await Promise.all([claude.close(), codex.close(), codexBackup.close()]);
  });

  test('each family reaches its own active cluster; the tree marks one active cluster per family', async () => {
    assert.strictEqual((await send(port)).headers['x-switchyard-endpoint'], 'claude-up');
    assert.strictEqual((await send(port, { path: '/v1/responses' })).headers['x-switchyard-endpoint'], 'codex-up');
    const a = await api();
    a.tree.refresh();
    const active = a.tree.getChildren().filter((n) => n.kind === 'cluster').map((n) => a.tree.getTreeItem(n)).filter((i) => i.contextValue === 'cluster.active').map((i) => i.label);
    assert.deepStrictEqual(active, ['main', 'codex']);
  });

  test('a new terminal gets both base URLs', async function () {
    this.timeout(30_000);
    const file = path.join(os.tmpdir(), `switchyard-families-${process.pid}-${Date.now()}.txt`);
    const terminal = vscode.window.createTerminal({ name: 'switchyard-families', shellPath: '/bin/sh', shellArgs: ['-c', `printf '%s %s' "$ANTHROPIC_BASE_URL" "$OPENAI_BASE_URL" > ${file}`] });
    try {
      const seen = await waitFor('the terminal to write its environment', () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''), 20_000);
      assert.strictEqual(seen, `http://127.0.0.1:${port} http://127.0.0.1:${port}/v1`);
    } finally {
      terminal.dispose();
      fs.rmSync(file, { force: true });
    }
  });

  test('Switch Cluster to the other openai cluster moves Codex traffic only', async () => {
    await vscode.commands.executeCommand(Commands.switchCluster, { cluster: 'codex-backup' });
    assert.deepStrictEqual(vscode.workspace.getConfiguration('switchyard').get('activeClusters'), { openai: 'codex-backup' });
    assert.strictEqual(vscode.workspace.getConfiguration('switchyard').get('activeCluster'), 'main', 'the anthropic setting is left alone');
    assert.strictEqual((await send(port, { path: '/v1/responses' })).headers['x-switchyard-endpoint'], 'codex-backup-up');
    assert.strictEqual((await send(port)).headers['x-switchyard-endpoint'], 'claude-up');
    const a = await api();
    await waitFor('the status bar to count both active clusters', () => a.statusBar.text === `$(radio-tower) Switchyard 2/2 · :${port}`);
  });

  test('Copy Base URL gives each family its own form', async () => {
    assert.strictEqual(await vscode.commands.executeCommand(Commands.copyBaseUrl, { protocol: 'openai' }), `http://127.0.0.1:${port}/v1`);
    assert.strictEqual(await vscode.commands.executeCommand(Commands.copyBaseUrl, { protocol: 'anthropic' }), `http://127.0.0.1:${port}`);
  });

  test('Copy Base URL follows the protocol of the cluster switched to last, and of a cluster picked in the tree', async () => {
    await vscode.commands.executeCommand(Commands.switchCluster, { cluster: 'codex' });
    assert.strictEqual(await vscode.commands.executeCommand(Commands.copyBaseUrl), `http://127.0.0.1:${port}/v1`);
    assert.strictEqual(await vscode.env.clipboard.readText(), `http://127.0.0.1:${port}/v1`);
    await vscode.commands.executeCommand(Commands.switchCluster, { cluster: 'main' });
    assert.strictEqual(await vscode.commands.executeCommand(Commands.copyBaseUrl), `http://127.0.0.1:${port}`);
    assert.strictEqual(await vscode.commands.executeCommand(Commands.copyBaseUrl, { cluster: 'codex-backup' }), `http://127.0.0.1:${port}/v1`);
  });

  test('Quick Actions offers Point Codex until Codex is pointed, then Undo; the change\'s diff closes once answered', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-codex-home-'));
    const before = process.env.CODEX_HOME;
    process.env.CODEX_HOME = home;
    const config = path.join(home, 'config.toml');
    fs.writeFileSync(config, 'model = "gpt-5-codex"\n');
    const previewTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'switchyard-preview');
    try {
      const menu = async () => (await vscode.commands.executeCommand(Commands.quickActions, { list: true })) as string[];
      assert.ok((await menu()).includes('$(terminal) Point Codex at Switchyard'), 'offered before pointing');
      assert.strictEqual(await vscode.commands.executeCommand(Commands.pointCodex, { confirm: true }), 'written');
      assert.match(fs.readFileSync(config, 'utf8'), new RegExp(`openai_base_url = "http://127\\.0\\.0\\.1:${port}/v1"`));
      assert.strictEqual(previewTabs().length, 0, 'no diff of the change is left open');
      const after = await menu();
      assert.ok(after.includes('$(terminal) Undo Codex Configuration'), 'Undo offered once pointed');
      assert.ok(!after.includes('$(terminal) Point Codex at Switchyard'), 'Point Codex is not offered again');
      assert.strictEqual(await vscode.commands.executeCommand(Commands.undoCodexConfig, { confirm: true }), 'undone');
      assert.strictEqual(fs.readFileSync(config, 'utf8'), 'model = "gpt-5-codex"\n');
      assert.strictEqual(previewTabs().length, 0);
      assert.ok((await menu()).includes('$(terminal) Point Codex at Switchyard'), 'offered again after the undo');
    } finally {
      if (before === undefined) delete process.env.CODEX_HOME;
      else process.env.CODEX_HOME = before;
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('an activeClusters entry left behind by a removed cluster is dropped, not fatal', async () => {
    const a = await api();
    await configure({ clusters: [cluster('main', [claude]), cluster('codex', [codex], { protocol: 'openai' })] });
    assert.strictEqual(a.service.view().mode, 'serving');
    assert.strictEqual(a.service.view().problem, undefined);
    assert.strictEqual((await send(port, { path: '/v1/responses' })).headers['x-switchyard-endpoint'], 'codex-up');
  });
});
