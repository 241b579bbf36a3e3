// Loads every *.test.js compiled next to this file into mocha (tdd UI) and runs it inside the extension host.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export interface TestOutcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface SuiteResults {
  passed: number;
  failed: number;
  pending: number;
  tests: TestOutcome[];
}

export type OutcomeListener = (outcome: TestOutcome) => void;

const DEFAULT_TIMEOUT_MS = 20_000;

const SOURCE_DIR = path.resolve(__dirname, '../../../../test/vscode/suite');

/** Skips compiled files whose .ts source was deleted (tsc leaves them behind in out/). */
function hasSource(compiledName: string): boolean {
  if (!fs.existsSync(SOURCE_DIR)) return true;
  return fs.existsSync(path.join(SOURCE_DIR, compiledName.replace(/\.js$/, '.ts')));
}

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.test.js') && hasSource(name))
    .sort()
    .map((name) => path.join(dir, name));
}

function createMocha(): Mocha {
  const timeout = Number(process.env.SWITCHYARD_TEST_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS;
  const grep = process.env.SWITCHYARD_TEST_GREP;
  return new Mocha({ ui: 'tdd', color: false, timeout, ...(grep ? { grep } : {}) });
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

function record(results: SuiteResults, outcome: TestOutcome, listener?: OutcomeListener): void {
  results.tests.push(outcome);
  results[outcome.state] += 1;
  listener?.(outcome);
}

/** Runs the suites and reports each test; resolves with the totals rather than rejecting on failures. */
export async function runSuites(listener?: OutcomeListener): Promise<SuiteResults> {
  const results: SuiteResults = { passed: 0, failed: 0, pending: 0, tests: [] };
  const mocha = createMocha();
  for (const file of testFiles(__dirname)) mocha.addFile(file);
  await mocha.loadFilesAsync();
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (t) => record(results, { title: t.fullTitle(), state: 'passed', durationMs: t.duration }, listener));
    runner.on('pending', (t) => record(results, { title: t.fullTitle(), state: 'pending' }, listener));
    runner.on('fail', (t, err) =>
      record(results, { title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: describeError(err) }, listener),
    );
  });
  return results;
}

/** The @vscode/test-electron extensionTestsPath contract: rejects when any test fails. */
export async function run(): Promise<void> {
  const results = await runSuites();
  if (results.failed > 0) throw new Error(`${results.failed} of ${results.tests.length} extension-host tests failed`);
}
