// Runs the in-host mocha suites inside a real VS Code (code-server driven by headless Chromium) and reports their results.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import type { Browser } from 'playwright-core';
import type { RunnerResult } from './runner-extension/extension';
import type { TestOutcome } from './suite/index';
import { CodeServer, startCodeServer, SUITE_TIME_ZONE } from './host/codeServer';
import { launchBrowser, openWorkbenchPage } from './host/browser';
import { packageBusyNeighbour, packageRunner, packageSwitchyard } from './host/vsix';

const SUITE_INDEX = path.join(__dirname, 'suite/index.js');
const DEFAULT_TIMEOUT_MS = 180_000;
const POLL_MS = 200;

export interface RunOptions {
  /** A prebuilt Switchyard .vsix; packaged from the repo when absent. */
  vsix?: string;
  /** User settings seeded into the fresh user-data dir. */
  settings?: Record<string, unknown>;
  /** Only run tests whose full title matches. */
  grep?: string;
  /** How long to wait for the suites to finish. */
  timeoutMs?: number;
  /** Keep the temp dir (user data, logs, results) for inspection. */
  keep?: boolean;
  /** Called for each test as it finishes. */
  onTest?: (outcome: TestOutcome) => void;
  /** Called as each phase (packaging, start, workbench) completes. */
  onPhase?: (message: string) => void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readNewProgress(progressFile: string, seen: number, onTest?: (outcome: TestOutcome) => void): number {
  if (!fs.existsSync(progressFile)) return seen;
  const lines = fs.readFileSync(progressFile, 'utf8').split('\n').filter(Boolean);
  for (const line of lines.slice(seen)) onTest?.(JSON.parse(line) as TestOutcome);
  return lines.length;
}

/** The runner depends on Switchyard, so it never starts when Switchyard fails to activate: report that at once. */
function activationFailure(server: CodeServer): string | undefined {
  const match = /\[error\] Activating extension (switchyard\.[\w-]+) failed due to an error:\n(.*)/.exec(server.extensionHostLog());
  return match ? `${match[1]} failed to activate: ${match[2].replace(/^\S+ \S+ \[error\] /, '')}` : undefined;
}

async function waitForResult(server: CodeServer, resultFile: string, options: RunOptions): Promise<RunnerResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = readNewProgress(`${resultFile}.progress`, seen, options.onTest);
    const failure = activationFailure(server);
    if (failure) throw new Error(failure);
    if (fs.existsSync(resultFile)) {
      readNewProgress(`${resultFile}.progress`, seen, options.onTest);
      return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as RunnerResult;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`no test results after ${timeoutMs} ms (did the runner extension activate?)`);
}

function suiteEnv(resultFile: string, options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { SWITCHYARD_TEST_SUITE: SUITE_INDEX, SWITCHYARD_TEST_RESULT: resultFile, TZ: SUITE_TIME_ZONE };
  if (options.grep) env.SWITCHYARD_TEST_GREP = options.grep;
  return env;
}

function phaseTimer(report?: (message: string) => void): (message: string) => void {
  let last = Date.now();
  return (message) => {
    const now = Date.now();
    report?.(`${message} (${((now - last) / 1000).toFixed(1)} s)`);
    last = now;
  };
}

/** Packages and installs the extensions, starts code-server, opens the workbench and waits for the suites' results. */
export async function runInCodeServer(options: RunOptions = {}): Promise<RunnerResult> {
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-runner-'));
  const resultFile = path.join(staging, 'results.json');
  const phase = phaseTimer(options.onPhase);
  try {
    // A busy neighbour is installed too; it idles until a suite asks it to busy-loop the host.
    const extensions = [options.vsix ?? (await packageSwitchyard()), await packageRunner(staging), await packageBusyNeighbour(staging)];
    phase('packaged the extensions');
    server = await startCodeServer({ extensions, settings: options.settings, env: suiteEnv(resultFile, options), keep: options.keep });
    phase(`installed them; code-server listening on ${server.url}`);
    browser = await launchBrowser();
    await openWorkbenchPage(server, browser);
    phase('workbench loaded in headless Chromium');
    return await waitForResult(server, resultFile, options);
  } catch (err) {
    if (server) process.stderr.write(`\n${server.logTail()}\n`);
    throw err;
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (!options.keep) fs.rmSync(staging, { recursive: true, force: true });
    else process.stderr.write(`kept: ${staging} ${server?.root ?? ''}\n`);
  }
}

function printOutcome(outcome: TestOutcome): void {
  const mark = { passed: '✔', failed: '✖', pending: '-' }[outcome.state];
  const duration = outcome.durationMs !== undefined ? ` (${outcome.durationMs} ms)` : '';
  console.log(`  ${mark} ${outcome.title}${duration}`);
}

function printFailures(result: RunnerResult): void {
  if (result.error) console.log(`\nthe suites could not run:\n${result.error}`);
  else if (result.tests.length === 0) console.log('\nno tests ran (is out/test/vscode/suite compiled? does --grep match?)');
  result.tests
    .filter((t) => t.state === 'failed')
    .forEach((t, i) => console.log(`\n${i + 1}) ${t.title}\n${(t.error ?? '').replace(/^/gm, '   ')}`));
}

function readSettings(file: string | undefined): Record<string, unknown> | undefined {
  return file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      vsix: { type: 'string' },
      settings: { type: 'string' },
      grep: { type: 'string' },
      timeout: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const started = Date.now();
  console.log('extension-host tests in code-server');
  const result = await runInCodeServer({
    vsix: values.vsix ?? process.env.SWITCHYARD_VSIX,
    settings: readSettings(values.settings),
    grep: values.grep,
    timeoutMs: values.timeout ? Number(values.timeout) : undefined,
    keep: values.keep,
    onTest: printOutcome,
    onPhase: (message) => console.log(`[vscode-host] ${message}`),
  });
  printFailures(result);
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s, suites ${result.durationMs} ms)`);
  console.log(`vscode: ${result.passed} passed, ${result.failed} failed${result.pending ? `, ${result.pending} skipped` : ''}`);
  return result.failed > 0 || result.passed === 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
