// A config file read as far as it can be, for diagnosing it: an invalid one becomes a finding naming the field, not a refusal to run.

import * as fs from 'node:fs';
import { ConfigError, DEFAULT_AFFINITY, DEFAULT_HEALTH, DEFAULT_HOST, DEFAULT_LIMITS, DEFAULT_LOG, DEFAULT_PORT, DEFAULT_RETRY, DEFAULT_TIMEOUTS, SwitchyardConfig, validateConfig } from '../core/config';
import { expandHome } from '../core/requestLogFile';

export interface ConfigForDiagnosis {
  config: SwitchyardConfig;
  /** Why the file does not validate; the config above is then only what could be read of it. */
  error?: ConfigError;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, fallback: string) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : fallback);

/** What can be read of a config that does not validate: its clusters and endpoints as written, defaults for the rest. */
function readable(raw: unknown): SwitchyardConfig {
  const o = isObj(raw) ? raw : {};
  const clusters = (Array.isArray(o.clusters) ? o.clusters : []).filter(isObj).map((c, i) => ({
    ...c,
    name: text(c.name, `cluster ${i + 1}`),
    protocol: c.protocol as SwitchyardConfig['clusters'][number]['protocol'],
    endpoints: (Array.isArray(c.endpoints) ? c.endpoints : []).filter(isObj).map((e, j) => ({ ...e, name: text(e.name, `endpoint ${j + 1}`), baseUrl: text(e.baseUrl, '') })),
  }));
  const port = typeof o.port === 'number' && Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535 ? o.port : DEFAULT_PORT;
  return {
    port,
    host: text(o.host, DEFAULT_HOST),
    activeCluster: text(o.activeCluster, clusters[0]?.name ?? ''),
    activeClusters: {},
    clusters,
    timeouts: { ...DEFAULT_TIMEOUTS },
    retry: { ...DEFAULT_RETRY },
    health: { ...DEFAULT_HEALTH },
    limits: { ...DEFAULT_LIMITS },
    affinity: { ...DEFAULT_AFFINITY },
    prices: {},
    log: { ...DEFAULT_LOG, ...(typeof o.logFile === 'string' ? { file: o.logFile } : {}) },
    clientKey: typeof o.clientKey === 'string' ? o.clientKey : undefined,
    allowedOrigins: [],
  };
}

/** Reads and validates a config file; when it is invalid, returns what could be read with the error. Throws only when the file cannot be read. */
export function readConfigForDiagnosis(file: string): ConfigForDiagnosis {
  const body = fs.readFileSync(expandHome(file), 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    return { config: readable(undefined), error: new ConfigError('(file)', `is not valid JSON: ${(err as Error).message}`) };
  }
  try {
    return { config: validateConfig(raw) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { config: readable(raw), error: err };
  }
}
