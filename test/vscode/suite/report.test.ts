// The diagnostics report as a user meets it: one read-only rendered view updated in place, no emoji, local time, the history from this window's requests, a redacted copy.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import { Commands, STATS_URI } from '../../../src/vscode/constants';
import { REPORT_VIEW_TYPE } from '../../../src/vscode/reportPanel';
import { api, cluster, configure, freePort, resetSettings, send, servingPort, startUpstream, Upstream, waitFor } from './helpers';

/** Not `sk-`-shaped, so only the known-key redaction can hide it. */
const KEY = 'relay-report-suite-key-4Kp8Vw3m';
/** Emoji and the symbol blocks whose glyphs common Linux fonts lack (✅ ❌ ⚠️ ✓ ✗ …), and the emoji variation selector. */
const EMOJI = /[\u{1F000}-\u{1FAFF}\u{2600}-\u{27BF}\u{2B00}-\u{2BFF}\u{FE0F}]|\p{Extended_Pictographic}/u;
/** The form localTime uses, as the runtime's locale writes it. */
const TIME_OPTIONS: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' };

function reportTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(REPORT_VIEW_TYPE));
}

function unsavable(): string[] {
  return vscode.workspace.textDocuments.filter((d) => d.isDirty || d.isUntitled).map((d) => d.uri.toString());
}

function decode(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** What a reader of the page sees: no style, script or tags. */
function pageText(html: string): string {
  return decode(html.replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ''));
}

/** Types as the user would, into the focused editor (showTextDocument just focused it). */
async function typeInto(editor: vscode.TextEditor, text: string): Promise<void> {
  assert.strictEqual(vscode.window.activeTextEditor?.document, editor.document, 'the editor to type into is not active');
  await vscode.commands.executeCommand('type', { text });
}

async function reportHtml(): Promise<string> {
  const html = (await api()).report.html;
  assert.ok(html, 'the report view is open');
  return html;
}

suite('the diagnostics report', () => {
  let broken: Upstream;

  suiteSetup(async () => {
    broken = await startUpstream('broken');
    broken.status = 500;
    // One attempt per request and no ejection, so each request is exactly one failure the client saw.
    await configure({ port: await freePort(), clusters: [cluster('report', [broken])], retry: { maxAttempts: 1 }, health: { unhealthyAfter: 100, ejectAfter: 100 } });
    await servingPort();
    await vscode.commands.executeCommand(Commands.addKeys, { cluster: 'report', endpoint: 'broken', text: KEY });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await resetSettings();
    await broken.close();
  });

  test('Run Diagnostics opens the rendered report in one webview and no dirty or untitled editor; running it again updates that view', async () => {
    await vscode.commands.executeCommand(Commands.runDiagnostics);
    await waitFor('the report view to open', () => reportTabs().length === 1);
    const first = await reportHtml();
    assert.match(first, /<h1>Switchyard diagnostics<\/h1>/);
    assert.match(first, /<span class="status fail">failed<\/span>/);
    assert.match(first, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;nonce-/);
    assert.deepStrictEqual(unsavable(), []);

    await vscode.commands.executeCommand(Commands.runDiagnostics);
    assert.notStrictEqual(await reportHtml(), first, 'the second run replaced the page');
    // Tabs open in order: once the stats editor opened after it shows, a second report tab would show too.
    await vscode.commands.executeCommand(Commands.openStats);
    await waitFor('the stats editor tab', () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === STATS_URI)));
    assert.strictEqual(reportTabs().length, 1, 'still one report view');
    assert.deepStrictEqual(unsavable(), []);
  });

  test('the report has no emoji, and its time is the local time of the extension host with the zone', async () => {
    const html = await reportHtml();
    const text = pageText(html);
    assert.doesNotMatch(text, EMOJI);
    assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT\d\d:\d\d/, 'no ISO instant is shown as such');
    const time = /<time datetime="([^"]+)"[^>]*>([^<]+)<\/time>/.exec(html);
    assert.ok(time, 'the report says when it ran');
    // The runners pin the host's zone to Asia/Kolkata, half an hour off any whole-hour zone.
    assert.strictEqual(process.env.TZ, 'Asia/Kolkata');
    assert.strictEqual(decode(time[2]), `${new Date(time[1]).toLocaleString(undefined, TIME_OPTIONS)} (UTC+5:30)`);
  });

  test('after requests failed through the proxy, with no log file, the history section counts them from the requests this window holds', async () => {
    const a = await api();
    const port = await servingPort();
    for (let i = 0; i < 6; i++) assert.ok((await send(port)).status >= 500);
    await waitFor('Tail Logs to hold the six failures', () => a.requests.all().filter((r) => r.cluster === 'report' && r.outcome === 'UPSTREAM_5XX').length === 6);
    const markdown = (await vscode.commands.executeCommand(Commands.runDiagnostics)) as string;
    assert.match(markdown, /\*\*Recent history \(report\/broken\)\*\* `UPSTREAM_5XX`[^\n]* — 6 attempts ended [^\n]* \(6 requests failed for the client\)/);
    assert.match(pageText(await reportHtml()), /Recent history \(report\/broken\) UPSTREAM_5XX[^\n]* — 6 attempts ended [^\n]* \(6 requests failed for the client\)/);
    assert.doesNotMatch(markdown, /log\.?file|request log is off/i);
  });

  test('Copy Redacted Report copies Markdown with the key only as its suffix, no emoji, and the time as ISO and local', async () => {
    const copied = (await vscode.commands.executeCommand(Commands.copyDiagnosticsReport)) as string;
    assert.ok(!copied.includes(KEY), 'the key leaked');
    assert.ok(copied.includes(`…${KEY.slice(-4)}`), 'the key suffix is there');
    assert.doesNotMatch(copied, EMOJI);
    assert.match(copied, /· \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \([^)]+ UTC\+5:30\)\n/);
    assert.deepStrictEqual(unsavable(), []);
  });

  test('without a clipboard the redacted report opens in a read-only document: it cannot be edited, so it never asks to be saved', async () => {
    // Typing reaches a focused editor of a file (so the check below is not vacuous); the file is put back.
    const file = vscode.Uri.file(path.join(os.tmpdir(), `switchyard-report-control-${process.pid}.md`));
    fs.writeFileSync(file.fsPath, 'control\n');
    const control = await vscode.window.showTextDocument(file);
    await typeInto(control, 'typed ');
    assert.strictEqual(control.document.getText(), 'typed control\n');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    fs.rmSync(file.fsPath);

    const a = await api();
    const copied = (await vscode.commands.executeCommand(Commands.copyDiagnosticsReport)) as string;
    const editor = await a.reportDocument.open(copied);
    assert.strictEqual(editor.document.uri.scheme, 'switchyard-report');
    assert.strictEqual(editor.document.languageId, 'markdown');
    assert.strictEqual(editor.document.getText(), copied);
    await typeInto(editor, 'typed by mistake ');
    assert.strictEqual(editor.document.getText(), copied, 'typing changed the report');
    assert.deepStrictEqual(unsavable(), []);
  });

  test('with no cluster yet, the short report shows in the same view, as words', async () => {
    await resetSettings();
    const markdown = (await vscode.commands.executeCommand(Commands.runDiagnostics)) as string;
    assert.match(markdown, /no cluster is configured: run "Switchyard: Add Cluster"/);
    const text = pageText(await reportHtml());
    assert.match(text, /Findings\s*no cluster is configured/);
    assert.doesNotMatch(text, EMOJI);
    assert.strictEqual(reportTabs().length, 1);
    assert.deepStrictEqual(unsavable(), []);
  });
});
