// Packages the Switchyard extension and the test-runner extension into .vsix files with @vscode/vsce.
import * as fs from 'fs';
import * as path from 'path';
import { createVSIX } from '@vscode/vsce';
import { REPO_ROOT } from './codeServer';


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

/** Stages a compiled test-only extension (its package.json and one extension.js) in `workDir` and packages it there. */
async function packageTestExtension(name: string, description: string, workDir: string): Promise<string> {
  const compiled = path.join(REPO_ROOT, `out/test/vscode/${name}/extension.js`);
  if (!fs.existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npm run pretest\` first`);
  const stage = path.join(workDir, name);
  fs.mkdirSync(stage, { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, `test/vscode/${name}/package.json`), path.join(stage, 'package.json'));
  fs.copyFileSync(compiled, path.join(stage, 'extension.js'));
  fs.writeFileSync(path.join(stage, 'README.md'), `# ${description}\n\nInstalled only for tests.\n`);
  const packagePath = path.join(workDir, `switchyard-${name}.vsix`);
  await quietly(() => createVSIX({ cwd: stage, packagePath, dependencies: false, allowMissingRepository: true, skipLicense: true }));
  return packagePath;
}

/** The extension that runs the in-host suites. */
export function packageRunner(workDir: string): Promise<string> {
  return packageTestExtension('runner-extension', 'Switchyard test runner', workDir);
}

/** A neighbour that busy-loops the extension host on command (switchyardTest.busy.start / .stop). */
export function packageBusyNeighbour(workDir: string): Promise<string> {
  return packageTestExtension('busy-extension', 'Switchyard test: a busy neighbour', workDir);
}
