// `switchyard diagnose`: runs every check against the config and prints the report as text or JSON.

import { SwitchyardConfig } from '../core/config';
import { KeySource } from '../core/runtime';
import { DEFAULT_KEY_FILE, KeyFile } from '../core/keyFile';
import { formatReportText } from './format';
import { readConfigForDiagnosis } from './lenientConfig';
import { runDiagnostics } from './run';
import { DiagnosticsInput } from './types';

export interface DiagnoseCommandOptions {
  /** The config to check; read from `configFile` when absent (an invalid file is then a finding, not an error). */
  config?: SwitchyardConfig;
  configFile: string;
  json: boolean;
  out: NodeJS.WritableStream;
  /** Where problems that are not part of the report go (default stderr). */
  err?: NodeJS.WritableStream;
  /** The headless key store (default ~/.switchyard/keys.json, or tokens.json from before 0.2). */
  keysFile?: string;
  /** Overrides for tests and embedding (env, home, deadlines, …). */
  input?: Partial<DiagnosticsInput>;
}

function openKeys(file: string, err: NodeJS.WritableStream): KeySource | undefined {
  try {
    return new KeyFile(file);
  } catch (e) {
    err.write(`switchyard: ${(e as Error).message} — keys from it are not checked\n`);
    return undefined;
  }
}

function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => out.write(text, () => resolve()));
}

/** Returns the exit code: 0 when nothing failed, 1 otherwise. */
export async function runDiagnoseCommand(opts: DiagnoseCommandOptions): Promise<number> {
  const keys = openKeys(opts.keysFile ?? DEFAULT_KEY_FILE, opts.err ?? process.stderr);
  const read = opts.config ? { config: opts.config } : readConfigForDiagnosis(opts.configFile);
  const configError = read.error ? { field: read.error.field, problem: read.error.problem } : undefined;
  const report = await runDiagnostics({ config: read.config, configFile: opts.configFile, configError, keys, ...opts.input });
  await write(opts.out, opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReportText(report));
  return report.status === 'fail' ? 1 : 0;
}
