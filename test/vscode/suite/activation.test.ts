// Activation: what the extension contributes, the unconfigured start, and settings written by hand starting a working proxy.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { COMMAND_ALIASES, Commands } from '../../../src/vscode/constants';
import { api, cluster, configure, EXTENSION_ID, freePort, getJson, resetSettings, send, servingPort, startUpstream, Upstream, waitFor } from './helpers';

interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

suite('activation', () => {
  const upstreams: Upstream[] = [];

  suiteSetup(async () => {
    await resetSettings();
  });

  suiteTeardown(async () => {
    await resetSettings();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  test('package.json contributes exactly the command ids of the constants module, all in category Switchyard', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: ContributedCommand[]; menus: { commandPalette: { command: string; when: string }[] } };
      main: string;
    };
    const contributed = pkg.contributes.commands.map((c) => c.command).sort();
    assert.deepStrictEqual(contributed, [...Object.values(Commands), ...Object.keys(COMMAND_ALIASES)].sort());
    for (const c of pkg.contributes.commands) assert.strictEqual(c.category, 'Switchyard', `${c.command} has no category`);
    const hidden = pkg.contributes.menus.commandPalette.filter((m) => m.when === 'false').map((m) => m.command).sort();
    // The earlier names run the commands but are not offered in the palette.
    assert.deepStrictEqual(hidden, [Commands.disableEndpoint, Commands.enableEndpoint, Commands.probeEndpoint, Commands.removeEndpoint, ...Object.keys(COMMAND_ALIASES)].sort());
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of [...Object.values(Commands), ...Object.keys(COMMAND_ALIASES)]) assert.ok(registered.has(id), `${id} is not registered`);
  });

  test('without clusters the extension is active, unconfigured, and the tree is empty (welcome view)', async () => {
    const a = await api();
    assert.strictEqual(a.service.view().mode, 'unconfigured');
    a.tree.refresh();
    assert.deepStrictEqual(a.tree.getChildren(), []);
    await waitFor('the status bar to offer set-up', () => a.statusBar.text.includes('add a cluster'));
  });

  test('settings written by hand start the proxy, and a request reaches the local upstream with the client key passed through', async () => {
    const up = await startUpstream('local');
    upstreams.push(up);
    const port = await freePort();
    await configure({ port, clusters: [cluster('main', [up])] });
    assert.strictEqual(await servingPort(), port);
    const res = await send(port, { apiKey: 'sk-client-own-key-1234' });
    assert.strictEqual(res.status, 200, res.body);
    assert.strictEqual(res.headers['x-switchyard-endpoint'], 'local');
    assert.match(res.body, /hello from local/);
    assert.strictEqual(up.hits.length, 1);
    assert.strictEqual(up.hits[0].apiKey, 'sk-client-own-key-1234');
    const a = await api();
    await waitFor('the status bar to show 1/1 and the port', () => a.statusBar.text === `$(radio-tower) Switchyard 1/1 · :${port}`);
  });

  test('/_switchyard/health answers with the instance id', async () => {
    const a = await api();
    const port = await servingPort();
    const health = await getJson<{ instanceId: string; service: string }>(port, '/_switchyard/health');
    assert.strictEqual(health.service, 'switchyard');
    assert.strictEqual(health.instanceId, a.service.view().owner?.instanceId);
  });

  test('a new integrated terminal gets ANTHROPIC_BASE_URL pointing at the proxy', async function () {
    this.timeout(30_000);
    const port = await servingPort();
    const file = path.join(os.tmpdir(), `switchyard-term-${process.pid}-${Date.now()}.txt`);
    const terminal = vscode.window.createTerminal({ name: 'switchyard-env-test', shellPath: '/bin/sh', shellArgs: ['-c', `printf %s "$ANTHROPIC_BASE_URL" > ${file}`] });
    try {
      const seen = await waitFor('the terminal to write its environment', () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''), 20_000);
      assert.strictEqual(seen, `http://127.0.0.1:${port}`);
    } finally {
      terminal.dispose();
      fs.rmSync(file, { force: true });
    }
  });

  test('invalid settings get a clear message and the last good config stays in force', async () => {
    const a = await api();
    const port = await servingPort();
    const before = a.service.currentConfig;
    await configure({ clusters: [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'local', baseUrl: 'not a url' }] }] });
    const v = a.service.view();
    assert.strictEqual(v.mode, 'serving');
    assert.match(v.problem ?? '', /switchyard\.clusters\[0\]\.endpoints\[0\]\.baseUrl \(cluster "main", endpoint "local"\) is not a valid URL/);
    assert.strictEqual(a.service.currentConfig, before);
    const res = await send(port);
    assert.strictEqual(res.status, 200);
  });
});
