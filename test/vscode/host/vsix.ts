// Packages the Switchyard extension and the test-runner extension into .vsix files with @vscode/vsce.
import * as fs from 'fs';
import * as path from 'path';
import { createVSIX } from '@vscode/vsce';
import { REPO_ROOT } from './codeServer';

const RUNNER_SOURCE = path.join(REPO_ROOT, 'test/vscode/runner-extension');
const RUNNER_COMPILED = path.join(REPO_ROOT, 'out/test/vscode/runner-extension/extension.js');

async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => undefined;
  try {
    return await work();
  } finally {
    console.log = log;
  }
}

/** Packages the repo as `.vscode-test/switchyard.vsix` (atomically, so parallel test processes may share it); needs `dist/extension.js` (`npm run pretest`). */
export async function packageSwitchyard(): Promise<string> {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist/extension.js'))) {
    throw new Error('dist/extension.js is missing: run `npm run pretest` (or `npm run build`) first');
  }
  const packagePath = path.join(REPO_ROOT, '.vscode-test/switchyard.vsix');
  const partial = path.join(REPO_ROOT, `.vscode-test/switchyard-${process.pid}.vsix`);
  fs.mkdirSync(path.dirname(packagePath), { recursive: true });
  // README images stay relative (media/screenshot.png): there is no repository URL to rewrite them against.
  await quietly(() => createVSIX({ cwd: REPO_ROOT, packagePath: partial, dependencies: false, allowMissingRepository: true, rewriteRelativeLinks: false }));
  fs.renameSync(partial, packagePath);
  return packagePath;
}

/** Stages the compiled runner extension in `workDir` and packages it there. */
export async function packageRunner(workDir: string): Promise<string> {
  if (!fs.existsSync(RUNNER_COMPILED)) throw new Error(`${RUNNER_COMPILED} is missing: run \`npm run pretest\` first`);
  const stage = path.join(workDir, 'runner-extension');
  fs.mkdirSync(stage, { recursive: true });
  fs.copyFileSync(path.join(RUNNER_SOURCE, 'package.json'), path.join(stage, 'package.json'));
  fs.copyFileSync(RUNNER_COMPILED, path.join(stage, 'extension.js'));
  fs.writeFileSync(path.join(stage, 'README.md'), '# Switchyard test runner\n\nInstalled only for tests.\n');
  const packagePath = path.join(workDir, 'switchyard-test-runner.vsix');
  await quietly(() =>
    createVSIX({ cwd: stage, packagePath, dependencies: false, allowMissingRepository: true, skipLicense: true }),
  );
  return packagePath;
}
