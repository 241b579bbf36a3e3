// Runs the same in-host mocha suites under @vscode/test-electron, for machines that can download VS Code.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { runTests } from '@vscode/test-electron';
import { REPO_ROOT, SUITE_TIME_ZONE, writeSettings } from './host/codeServer';

const DEFAULT_VERSION = '1.100.3';

function readSettings(file: string | undefined): Record<string, unknown> | undefined {
  return file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { settings: { type: 'string' }, grep: { type: 'string' }, version: { type: 'string' } } });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-electron-'));
  const userDataDir = path.join(root, 'user-data');
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  writeSettings(userDataDir, readSettings(values.settings));
  try {
    return await runTests({
      version: values.version ?? process.env.SWITCHYARD_VSCODE_VERSION ?? DEFAULT_VERSION,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: path.join(__dirname, 'suite/index'),
      extensionTestsEnv: { TZ: SUITE_TIME_ZONE, ...(values.grep ? { SWITCHYARD_TEST_GREP: values.grep } : {}) },
      launchArgs: [workspace, '--user-data-dir', userDataDir, '--disable-extensions', '--disable-workspace-trust'],
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
