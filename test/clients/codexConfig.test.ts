// The Codex config.toml edit: one marked line at the top level, nothing else touched, and an undo that gives back the file as it was.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planCodexEdit, readCodexPointing, undoCodexEdit } from '../../src/clients/codexConfig';

const URL_A = 'http://127.0.0.1:7860/v1';
const URL_B = 'http://127.0.0.1:7861/v1';

function edited(text: string, url: string): string {
  const plan = planCodexEdit(text, url);
  assert.equal(plan.kind, 'edit');
  return (plan as { text: string }).text;
}

test('an empty or missing file gets the line, and undo empties it again', () => {
  const out = edited('', URL_A);
  assert.equal(readCodexPointing(out).effectiveBaseUrl, URL_A);
  assert.equal(undoCodexEdit(out), '');
});

test('the line goes before the first table; every other line stays byte for byte; undo restores the file exactly', () => {
  const original = 'model = "gpt-5-codex"\napproval_policy = "on-request"\n\n[profiles.fast]\nmodel = "gpt-5-mini"\n# a comment\n[mcp_servers.docs]\ncommand = "docs-mcp"\n';
  const out = edited(original, URL_A);
  assert.ok(out.endsWith(original), 'the original text follows the added lines unchanged');
  assert.equal(readCodexPointing(out).openaiBaseUrl, URL_A);
  assert.equal(undoCodexEdit(out), original);
});

test('an existing openai_base_url is replaced and remembered; undo puts it back', () => {
  const original = 'model = "gpt-5"\nopenai_base_url = "https://relay.example.com/v1"  # my relay\n[profiles.x]\nopenai_base_url = "https://not-top-level"\n';
  const out = edited(original, URL_A);
  assert.equal(readCodexPointing(out).openaiBaseUrl, URL_A);
  assert.match(out, /openai_base_url = "https:\/\/not-top-level"/, 'a table\'s key of the same name is not touched');
  assert.equal(undoCodexEdit(out), original);
});

test('pointing again (the port moved) replaces Switchyard\'s own line and still undoes to the original', () => {
  const original = 'openai_base_url = "https://relay.example.com/v1"\n';
  const twice = edited(edited(original, URL_A), URL_B);
  assert.equal(readCodexPointing(twice).openaiBaseUrl, URL_B);
  assert.equal((twice.match(/Added by Switchyard/g) ?? []).length, 1);
  assert.equal(undoCodexEdit(twice), original);
});

test('a selected custom provider is reported, not edited; a file already pointed is left alone; a file never edited has nothing to undo', () => {
  const custom = 'model_provider = "myrelay"\n\n[model_providers.myrelay]\nname = "relay"\nbase_url = "https://relay.example.com/v1"\nwire_api = "responses"\n';
  assert.deepEqual(planCodexEdit(custom, URL_A), { kind: 'custom-provider', provider: 'myrelay', baseUrl: 'https://relay.example.com/v1' });
  assert.equal(readCodexPointing(custom).effectiveBaseUrl, 'https://relay.example.com/v1');
  assert.equal(planCodexEdit(edited('', URL_A), URL_A).kind, 'unchanged');
  assert.equal(undoCodexEdit(custom), undefined);
});

test('Windows line ends are kept', () => {
  const original = 'model = "gpt-5"\r\n[profiles.x]\r\nmodel = "y"\r\n';
  const out = edited(original, URL_A);
  assert.ok(!/[^\r]\n/.test(out), 'every line ends in CRLF');
  assert.equal(undoCodexEdit(out), original);
});
