// `switchyard diagnose`: runs every check and prints the report (placeholder until the diagnostics land).

import { SwitchyardConfig } from '../config';

export interface DiagnoseCommandOptions {
  config: SwitchyardConfig;
  configFile: string;
  json: boolean;
  out: NodeJS.WritableStream;
}

/** Returns the exit code: 0 when nothing failed, 1 otherwise. */
export async function runDiagnoseCommand(opts: DiagnoseCommandOptions): Promise<number> {
  opts.out.write('diagnostics are not built yet\n');
  return 1;
}
