// Starts and stops code-server instances (a real VS Code server), each with its own user-data dir, extensions dir and port.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

const SETUP_SCRIPT = path.join(REPO_ROOT, 'scripts/vscode-host/setup.sh');
const START_TIMEOUT_MS = 30_000;
/** The in-host suites' zone: half an hour off UTC, so a time shown in UTC instead of local cannot pass for it. */
export const SUITE_TIME_ZONE = 'Asia/Kolkata';
const STOP_GRACE_MS = 3_000;

/** Settings that keep the workbench quiet and fast; callers' settings override them. */
const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
};

/** Variables that would make code-server forward to another instance, change its port or its auth. */
const INHERITED_VARIABLES_TO_DROP = ['VSCODE_IPC_HOOK_CLI', 'PORT', 'PASSWORD', 'HASHED_PASSWORD', 'CODE_SERVER_CONFIG'];

export interface CodeServerOptions {
  /** .vsix files (or extension ids) to install before starting. */
  extensions?: string[];
  /** User settings written to `<user-data-dir>/User/settings.json` over the quiet defaults. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server; the extension host inherits it. */
  env?: NodeJS.ProcessEnv;
  /** Folder to open; a fresh empty one by default. */
  workspace?: string;
  /** Keep the temp dir (logs, user data) after stop. */
  keep?: boolean;
}

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly root: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly workspace: string;
  readonly logFile: string;
  /** URL of the workbench with the workspace folder open. */
  workbenchUrl(): string;
  /** Everything the extension hosts have logged so far. */
  extensionHostLog(): string;
  /** Last lines of code-server's own log and of the extension host logs. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export function hostDir(): string {
  return process.env.SWITCHYARD_VSCODE_HOST_DIR || path.join(os.homedir(), '.cache/switchyard-vscode-host');
}

function entryScript(): string {
  return path.join(hostDir(), 'node_modules/code-server/out/node/entry.js');
}

let hostReady = false;

/** Runs the idempotent setup script once per process (about 50 ms when everything is cached). */
export function ensureHost(): void {
  if (hostReady) return;
  execFileSync('bash', [SETUP_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
  hostReady = true;
}

const liveGroups = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

let exitHooksInstalled = false;

/** Makes sure code-server's whole process group dies with this process, however it ends. */
function track(pid: number): void {
  liveGroups.add(pid);
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => liveGroups.forEach((group) => killGroup(group, 'SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      liveGroups.forEach((group) => killGroup(group, 'SIGKILL'));
      process.exit(128 + os.constants.signals[signal]);
    });
  }
}

function childEnv(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of INHERITED_VARIABLES_TO_DROP) if (!extra || !(name in extra)) delete env[name];
  return env;
}

function codeServerArgs(userDataDir: string, extensionsDir: string, configFile: string): string[] {
  return [entryScript(), '--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
}

export function writeSettings(userDataDir: string, settings: Record<string, unknown> | undefined): void {
  const userDir = path.join(userDataDir, 'User');
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2));
}

function installExtensions(baseArgs: string[], extensions: string[], logFile: string): void {
  if (extensions.length === 0) return;
  const installArgs = extensions.flatMap((ext) => ['--install-extension', ext]);
  try {
    const out = execFileSync(process.execPath, [...baseArgs, '--force', ...installArgs], { encoding: 'utf8', stdio: 'pipe', env: childEnv(undefined) });
    fs.appendFileSync(logFile, out);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`installing ${extensions.join(', ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

function waitForListening(child: ChildProcess, logFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`code-server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = /HTTP server listening on (http:\/\/[^\s/]+)/.exec(seen);
      if (match) done(match[1]);
    };
    const onExit = (code: number | null): void => fail(new Error(`code-server exited with ${code} before listening`));
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    }
    function done(url: string): void {
      cleanup();
      resolve(url);
    }
    function fail(err: Error): void {
      cleanup();
      reject(new Error(`${err.message}\n${tail(logFile, 30)}`));
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

function tail(file: string, lines: number): string {
  if (!fs.existsSync(file)) return '';
  return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

function extensionHostLogs(userDataDir: string): string[] {
  const logsDir = path.join(userDataDir, 'logs');
  if (!fs.existsSync(logsDir)) return [];
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/exthost\.log$/i.test(entry.name)) found.push(full);
    }
  };
  walk(logsDir);
  return found;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  killGroup(pid, 'SIGTERM');
  await waitForExit(child, STOP_GRACE_MS);
  killGroup(pid, 'SIGKILL');
  liveGroups.delete(pid);
}

function prepareDirs(options: CodeServerOptions): { root: string; userDataDir: string; extensionsDir: string; workspace: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-vscode-'));
  const dirs = {
    root,
    userDataDir: path.join(root, 'user-data'),
    extensionsDir: path.join(root, 'extensions'),
    workspace: options.workspace ?? path.join(root, 'workspace'),
  };
  for (const dir of [dirs.userDataDir, dirs.extensionsDir, dirs.workspace]) fs.mkdirSync(dir, { recursive: true });
  return dirs;
}

/** Installs the given extensions into fresh dirs and starts code-server on a free port of 127.0.0.1. */
export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  ensureHost();
  const dirs = prepareDirs(options);
  const removeRoot = (): void => {
    if (!options.keep) fs.rmSync(dirs.root, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    return await launch(options, dirs);
  } catch (err) {
    removeRoot();
    throw err;
  }
}

async function launch(options: CodeServerOptions, dirs: ReturnType<typeof prepareDirs>): Promise<CodeServer> {
  const { root, userDataDir, extensionsDir, workspace } = dirs;
  const logFile = path.join(root, 'code-server.log');
  const configFile = path.join(root, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\n');
  writeSettings(userDataDir, options.settings);
  const baseArgs = codeServerArgs(userDataDir, extensionsDir, configFile);
  installExtensions(baseArgs, options.extensions ?? [], logFile);

  const serveArgs = ['--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--disable-proxy', '--ignore-last-opened', workspace];
  const child = spawn(process.execPath, [...baseArgs, ...serveArgs], {
    cwd: root,
    detached: true,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) track(child.pid);
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  let url: string;
  try {
    url = await waitForListening(child, logFile);
    await httpStatus(`${url}/`);
  } catch (err) {
    await stopProcessGroup(child);
    throw err;
  }

  let stopped = false;
  return {
    url,
    port: Number(new URL(url).port),
    root,
    userDataDir,
    extensionsDir,
    workspace,
    logFile,
    workbenchUrl: () => `${url}/?folder=${encodeURIComponent(workspace)}`,
    extensionHostLog: () => extensionHostLogs(userDataDir).map((f) => fs.readFileSync(f, 'utf8')).join('\n'),
    logTail: (lines = 40) =>
      [logFile, ...extensionHostLogs(userDataDir)].map((f) => `--- ${f}\n${tail(f, lines)}`).join('\n'),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopProcessGroup(child);
      log.end();
      if (!options.keep) fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
