// The layering rules: the core runs headless and knows no application, and only the protocol adapters know a wire dialect.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const CORE = path.join(__dirname, '..', '..', '..', 'src', 'core');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

test('src/core never imports vscode', () => {
  const files = sources(CORE);
  assert.ok(files.length > 10, 'found the core sources');
  const offenders = files.filter((f) => /from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\)/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('src/diagnostics never imports vscode: the VS Code layer passes it what it needs', () => {
  const files = sources(path.join(CORE, '..', 'diagnostics'));
  assert.ok(files.length > 10, 'found the diagnostics sources');
  const offenders = files.filter((f) => /from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\)|from\s+['"]\.\.\/vscode\//.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('src/core never imports from the applications built on it (VS Code layer, diagnostics, client set-up, dashboard)', () => {
  const offenders = sources(CORE).filter((f) => /from\s+['"](\.\.\/)+(vscode|extension|diagnostics|clients|dashboard)\b/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('the request path never names a protocol or its markers: only src/core/protocols knows the dialects', () => {
  const path_ = ['server.ts', 'proxy.ts', 'attempt.ts', 'relay.ts', 'exchange.ts', 'upstream.ts', 'headers.ts', 'health.ts', 'balancer.ts', 'outcomes.ts', 'classify.ts'].map((f) => path.join(CORE, f));
  const dialect = /'anthropic'|'openai'|message_stop|\[DONE\]|response\.completed|finish_reason|event-stream.*error|overloaded_error/;
  const offenders = path_.filter((f) => dialect.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders.map((f) => path.basename(f)), []);
});
