// Keys: Add Keys stores many at once in SecretStorage only, the proxy uses them at once, Remove Key drops one.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import type { AddKeysResult } from '../../../src/vscode/commands';
import { validateConfig } from '../../../src/core';
import { Commands } from '../../../src/vscode/constants';
import { SecretKeyStore, secretKey } from '../../../src/vscode/secretKeys';
import type { KeyNode, TreeNode } from '../../../src/vscode/tree';
import { api, cluster, configure, freePort, resetSettings, send, servingPort, startUpstream, Upstream, waitFor } from './helpers';

function key(i: number): string {
  return `sk-ant-test-${String(i).padStart(2, '0')}-${'x'.repeat(24)}${(1000 + i).toString(36)}`;
}

/** The text of the user settings file, as VS Code has it. */
async function userSettingsText(): Promise<string> {
  await vscode.commands.executeCommand('workbench.action.openSettingsJson');
  const doc = await waitFor('settings.json to open', () => vscode.window.activeTextEditor?.document);
  const text = doc.getText();
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  return text;
}

suite('keys', () => {
  let up: Upstream;
  let port: number;
  const keys = Array.from({ length: 28 }, (_, i) => key(i));

  suiteSetup(async () => {
    up = await startUpstream('keyed');
    port = await freePort();
    await configure({ port, clusters: [cluster('main', [up])] });
    await servingPort();
  });

  suiteTeardown(async () => {
    const a = await api();
    await a.keys.clear('main', 'keyed');
    await resetSettings();
    await up.close();
  });

  test('28 keys pasted at once are added in well under a second, duplicates and non-keys ignored', async () => {
    const text = [...keys, keys[0], keys[5], 'short', ''].join('\n');
    const started = Date.now();
    const result = (await vscode.commands.executeCommand(Commands.addKeys, { cluster: 'main', endpoint: 'keyed', text })) as AddKeysResult;
    const elapsed = Date.now() - started;
    assert.strictEqual(result.added, 28);
    assert.strictEqual(result.rejected.length, 1, 'the 5-character entry is not a key');
    assert.ok(elapsed < 800, `adding 28 keys took ${elapsed} ms`);
    const again = (await vscode.commands.executeCommand(Commands.addKeys, { cluster: 'main', endpoint: 'keyed', text: `${keys[3]} ${keys[4]}` })) as AddKeysResult;
    assert.strictEqual(again.added, 0);
    assert.strictEqual(again.duplicates, 2);
  });

  test('the next request already uses a stored key (no reload) instead of the client key', async () => {
    const res = await send(port, { apiKey: 'sk-client-key-should-be-replaced' });
    assert.strictEqual(res.status, 200, res.body);
    const used = up.hits[up.hits.length - 1].apiKey;
    assert.ok(used && keys.includes(used), `upstream saw ${used?.slice(-4)}`);
  });

  test('keys are only in SecretStorage: the settings file holds none of them', async () => {
    const a = await api();
    assert.strictEqual(a.keys.keysFor('main', 'keyed').length, 28);
    const settings = await userSettingsText();
    assert.match(settings, /switchyard\.clusters/);
    for (const k of keys) assert.ok(!settings.includes(k), `settings.json contains key …${k.slice(-4)}`);
    assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('switchyard').get('clusters')).includes('sk-ant-test'));
  });

  test('the tree lists the keys as suffixes under the endpoint', async () => {
    const a = await api();
    a.tree.refresh();
    const endpoint = await waitFor('the endpoint node', () => {
      const c = a.tree.getChildren().find((n) => n.kind === 'cluster');
      return c ? a.tree.getChildren(c).find((n) => n.kind === 'endpoint') : undefined;
    });
    const children = a.tree.getChildren(endpoint) as TreeNode[];
    assert.strictEqual(children.length, 28);
    const first = a.tree.getTreeItem(children[0]);
    assert.match(String(first.label), /^…[\w-]{4}$/);
    assert.strictEqual(first.description, 'ok');
    assert.ok(!JSON.stringify(children).includes('sk-ant-test'));
  });

  test('Remove Key removes the key named by its suffix', async () => {
    const a = await api();
    const node: KeyNode = { kind: 'key', id: 'k', cluster: 'main', endpoint: 'keyed', suffix: `…${keys[7].slice(-4)}`, index: 7 };
    const removed = await vscode.commands.executeCommand(Commands.removeKey, node);
    assert.strictEqual(removed, 1);
    assert.strictEqual(a.keys.keysFor('main', 'keyed').length, 27);
    assert.ok(!a.keys.keysFor('main', 'keyed').includes(keys[7]));
    await waitFor('the stats to list 27 keys', () => a.service.view().stats?.clusters[0].endpoints[0].keys.length === 27);
  });

  test('the commands\' earlier names (Add Tokens, Remove Token) still run them, for keybindings that use them', async () => {
    const a = await api();
    const extra = `sk-ant-test-alias-${Date.now()}`;
    const added = (await vscode.commands.executeCommand('switchyard.addTokens', { cluster: 'main', endpoint: 'keyed', text: extra })) as AddKeysResult;
    assert.strictEqual(added.added, 1);
    const removed = await vscode.commands.executeCommand('switchyard.removeToken', { cluster: 'main', endpoint: 'keyed', suffix: `…${extra.slice(-4)}` });
    assert.strictEqual(removed, 1);
    assert.ok(!a.keys.keysFor('main', 'keyed').includes(extra));
  });

  test('a SecretStorage that fails to read after a change keeps the cached keys and rejects nothing unseen', async () => {
    const changed = new vscode.EventEmitter<vscode.SecretStorageChangeEvent>();
    let failing = false;
    const stored = new Map<string, string>([[secretKey('main', 'keyed'), JSON.stringify([keys[0]])]]);
    const secrets: vscode.SecretStorage = {
      get: async (k) => {
        if (failing) throw new Error('the keyring is locked');
        return stored.get(k);
      },
      store: async (k, v) => void stored.set(k, v),
      delete: async (k) => void stored.delete(k),
      onDidChange: changed.event,
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const store = new SecretKeyStore(secrets);
    try {
      await store.load(validateConfigFor(port));
      assert.deepStrictEqual(store.keysFor('main', 'keyed'), [keys[0]]);
      failing = true;
      changed.fire({ key: secretKey('main', 'keyed') });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepStrictEqual(unhandled, []);
      assert.deepStrictEqual(store.keysFor('main', 'keyed'), [keys[0]]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      store.dispose();
      changed.dispose();
    }
  });
});

function validateConfigFor(port: number) {
  return validateConfig({ port, clusters: [{ name: 'main', endpoints: [{ name: 'keyed', baseUrl: 'http://127.0.0.1:1' }] }] });
}
