// Run Diagnostics marks the endpoints that fail in the tree, and Copy Redacted Report copies the report without keys, prompts or completions.
import * as assert from 'assert';
import * as http from 'http';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { Commands } from '../../../src/vscode/constants';
import type { EndpointNode } from '../../../src/vscode/tree';
import { api, configure, freePort, resetSettings, send, servingPort, startUpstream, Upstream, waitFor } from './helpers';

/** Not `sk-`-shaped, so only the known-key redaction can hide it. */
const KEY = 'relay-diagnostics-suite-key-7Q3xZ9w2';
const PROMPT = 'a prompt that must never reach a bug report 5f1c';

async function endpointItem(name: string): Promise<vscode.TreeItem | undefined> {
  const a = await api();
  const c = a.tree.getChildren().find((n) => n.kind === 'cluster' && n.cluster === 'diag');
  const e = c && (a.tree.getChildren(c).find((n) => n.kind === 'endpoint' && n.endpoint === name) as EndpointNode | undefined);
  // With its tooltip, as VS Code resolves it when the hover opens.
  return e && a.tree.resolveTreeItem(a.tree.getTreeItem(e), e);
}

function tooltipText(item: vscode.TreeItem): string {
  return (item.tooltip as vscode.MarkdownString).value.replace(/\\(.)/g, '$1');
}

/** The clipboard's text, or undefined when this workbench does not answer. */
async function clipboardText(): Promise<string | undefined> {
  return Promise.race([Promise.resolve(vscode.env.clipboard.readText()), new Promise<undefined>((r) => setTimeout(() => r(undefined), 1500))]).catch(() => undefined);
}

suite('diagnostics in the tree and the clipboard', () => {
  let healthy: Upstream;
  let refusedPort: number;

  suiteSetup(async () => {
    healthy = await startUpstream('healthy');
    refusedPort = await freePort();
    await configure({
      port: await freePort(),
      clusters: [{ name: 'diag', protocol: 'anthropic', endpoints: [{ name: 'healthy', baseUrl: healthy.url }, { name: 'refused', baseUrl: `http://127.0.0.1:${refusedPort}` }] }],
    });
    const port = await servingPort();
    await vscode.commands.executeCommand(Commands.addKeys, { cluster: 'diag', endpoint: 'healthy', text: KEY });
    assert.strictEqual((await send(port, { prompt: PROMPT })).status, 200);
    const a = await api();
    await vscode.commands.executeCommand('workbench.view.extension.switchyard');
    await waitFor('the tree view to be visible', () => a.treeView.visible);
  });

  suiteTeardown(async () => {
    await resetSettings();
    await healthy.close();
  });

  test('the refused endpoint is marked UPSTREAM_CONNECT with its fix in the tooltip; the healthy one is not marked', async () => {
    const started = Date.now();
    const report = (await vscode.commands.executeCommand(Commands.runDiagnostics, { show: false })) as string;
    assert.ok(Date.now() - started < 8000, `diagnostics took ${Date.now() - started} ms`);
    assert.match(report, /`UPSTREAM_CONNECT`/);
    assert.doesNotMatch(report, /formerly/, 'the report a person reads names only the current cause');
    const refused = await waitFor('the refused endpoint to be marked', async () => {
      const item = await endpointItem('refused');
      return String(item?.description).includes('⚠ UPSTREAM_CONNECT') ? item : undefined;
    });
    assert.match(String(refused.contextValue), /^endpoint\.enabled\.\w+\.diagnosed-fail$/);
    assert.match(tooltipText(refused), /\*\*Diagnostics\*\* \(.+\): failed/);
    assert.match(tooltipText(refused), /UPSTREAM_CONNECT — .+ — .+/);
    const ok = await endpointItem('healthy');
    assert.ok(ok, 'the healthy endpoint is in the tree');
    assert.ok(!String(ok.description).includes('⚠'), `healthy is marked: ${String(ok.description)}`);
    assert.ok(!String(ok.contextValue).includes('diagnosed'), String(ok.contextValue));
    assert.ok(!tooltipText(ok).includes('Diagnostics'));
  });

  test('Copy Redacted Report copies the last report: the cause and the key suffix, never the key, the prompt or the completion', async () => {
    const copied = (await vscode.commands.executeCommand(Commands.copyDiagnosticsReport)) as string;
    for (const text of [copied, await clipboardText()]) {
      assert.ok(text, 'the clipboard holds the report');
      assert.match(text, /UPSTREAM_CONNECT/);
      assert.ok(text.includes(`…${KEY.slice(-4)}`), 'the key suffix is there');
      assert.ok(!text.includes(KEY), 'the key leaked');
      assert.ok(!text.includes(PROMPT), 'the prompt leaked');
      assert.ok(!text.includes('hello from healthy'), 'the completion leaked');
    }
    const lines = copied.split('\n');
    const firstProblem = lines.findIndex((l) => /^- \*\*\[(failed|warning)\]\*\*/.test(l));
    const firstPass = lines.findIndex((l) => l.startsWith('- [ok]'));
    assert.ok(firstProblem >= 0 && firstProblem < firstPass, 'failures come before what passed');
  });

  test('a settings change clears the marks; copying then runs diagnostics again', async () => {
    await configure({ health: { slowMs: 2500 } });
    await waitFor('the mark to clear', async () => {
      const item = await endpointItem('refused');
      return item && !String(item.description).includes('⚠') && !String(item.contextValue).includes('diagnosed');
    });
    const copied = (await vscode.commands.executeCommand(Commands.copyDiagnosticsReport)) as string;
    assert.match(copied, /UPSTREAM_CONNECT/);
    await waitFor('the refused endpoint to be marked again', async () => String((await endpointItem('refused'))?.description).includes('⚠ UPSTREAM_CONNECT'));
  });

  test('after Probe Now forgets an endpoint\'s failures, its diagnosis mark and its failure counts are gone too', async () => {
    const revived = http.createServer((_req, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"authentication_error","message":"no key"}}'));
    await new Promise<void>((r) => revived.listen(refusedPort, '127.0.0.1', r));
    try {
      const r = (await vscode.commands.executeCommand(Commands.probeEndpoint, { cluster: 'diag', endpoint: 'refused' })) as { reachable: boolean };
      assert.strictEqual(r.reachable, true);
      const item = await waitFor('the mark to clear after the probe', async () => {
        const i = await endpointItem('refused');
        return i && !String(i.description).includes('⚠') ? i : undefined;
      });
      assert.ok(!String(item.contextValue).includes('diagnosed'), String(item.contextValue));
      assert.doesNotMatch(String(item.description), /^0%/, 'no success rate left from the forgotten failures');
      const tip = tooltipText(item);
      assert.ok(!tip.includes('Diagnostics'), tip);
      assert.match(tip, /since its failures were forgotten at .+: 0 attempts, 0 failed/);
    } finally {
      await new Promise((r) => revived.close(r));
    }
  });
});
