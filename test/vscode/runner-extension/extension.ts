// Test-only extension that runs the in-host mocha suites on activation and writes their results as JSON.
import * as fs from 'fs';
import type { SuiteResults, TestOutcome } from '../suite/index';

interface SuiteModule {
  runSuites(listener?: (outcome: TestOutcome) => void): Promise<SuiteResults>;
}

export interface RunnerResult extends SuiteResults {
  durationMs: number;
  error?: string;
}

function writeAtomically(file: string, content: string): void {
  fs.writeFileSync(`${file}.tmp`, content);
  fs.renameSync(`${file}.tmp`, file);
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

async function runAndReport(suitePath: string, resultPath: string): Promise<void> {
  const started = Date.now();
  const progressPath = `${resultPath}.progress`;
  let result: RunnerResult;
  try {
    const suite = require(suitePath) as SuiteModule;
    const totals = await suite.runSuites((outcome) => fs.appendFileSync(progressPath, `${JSON.stringify(outcome)}\n`));
    result = { ...totals, durationMs: Date.now() - started };
  } catch (err) {
    result = { passed: 0, failed: 1, pending: 0, tests: [], durationMs: Date.now() - started, error: errorText(err) };
  }
  writeAtomically(resultPath, JSON.stringify(result, null, 2));
}

/** Claims the run so a reloaded window or a second extension host does not run the suites again. */
function claimRun(resultPath: string): boolean {
  try {
    fs.closeSync(fs.openSync(`${resultPath}.claimed`, 'wx'));
    return true;
  } catch {
    return false;
  }
}

export function activate(): void {
  const suitePath = process.env.SWITCHYARD_TEST_SUITE;
  const resultPath = process.env.SWITCHYARD_TEST_RESULT;
  if (!suitePath || !resultPath || !claimRun(resultPath)) return;
  void runAndReport(suitePath, resultPath);
}

export function deactivate(): void {}
