// The layering rule: nothing under src/core imports the vscode API, so the core runs headless.

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

test('src/core never imports from the VS Code layer', () => {
  const offenders = sources(CORE).filter((f) => /from\s+['"](\.\.\/)+(vscode|extension)\b/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});
