// Checks that the packaged Switchyard extension is installed and active in the host VS Code.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { suite, test } from 'mocha';

const EXTENSION_ID = 'switchyard.switchyard';

suite('smoke', () => {
  test('the Switchyard extension is installed and active', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed`);
    await extension.activate();
    assert.strictEqual(extension.isActive, true);
  });
});
