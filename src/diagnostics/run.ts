// Runs every check at once under one overall deadline and assembles the redacted report.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { activeClusterName, DEFAULT_TIMEOUTS, Protocol, PROTOCOLS, SwitchyardConfig } from '../core/config';
import { expandHome } from '../core/requestLogFile';
import { buildSnapshot, RuntimeSnapshot, KeySource } from '../core/runtime';
import { proxyUrl, reachableHost } from '../core/adminClient';
import { CheckSubject, Deadline, finding, statusRank, worst } from './check';
import { baseUrlProblem, checkConfig, safeUrl } from './configCheck';
import { checkEndpoint, EndpointCheckOptions } from './endpointCheck';
import { checkEnvironment } from './envCheck';
import { checkHistory } from './historyCheck';
import { checkClientLogins } from './loginCheck';
import { checkUsage } from './usageCheck';
import { checkPort } from './portCheck';
import { checkProxy, probeHealth } from './proxyCheck';
import { trustingExtraCas } from './tlsStep';
import { redactReport } from './redact';
import { CheckStatus, DEFAULT_DEADLINES, DiagnosticCheck, DiagnosticReport, DiagnosticsInput, EndpointVerdict } from './types';

const DEFAULT_SLOW_MS = 2000;
const DEFAULT_HISTORY_WINDOW_MS = 15 * 60_000;

/** The snapshot of the endpoints that can be probed (unparseable URLs are the config check's business). */
function probeableSnapshot(config: SwitchyardConfig, tokens: KeySource | undefined, env: NodeJS.ProcessEnv): RuntimeSnapshot {
  const clusters = (config.clusters ?? []).map((c) => ({ ...c, endpoints: (c.endpoints ?? []).filter((e) => baseUrlProblem(e.baseUrl) === undefined) }));
  return buildSnapshot({ ...config, clusters }, 0, tokens, env);
}

function proxyTarget(input: DiagnosticsInput): { host: string; port: number } {
  return input.switchyard?.address ?? input.proxy ?? { host: input.config.host, port: input.config.port };
}


/** The protocol families the config has clusters of. */
function families(config: SwitchyardConfig): Protocol[] {
  return PROTOCOLS.filter((p) => (config.clusters ?? []).some((c) => c.protocol === p));
}

function endpointVerdicts(config: SwitchyardConfig, checks: DiagnosticCheck[]): EndpointVerdict[] {
  return (config.clusters ?? []).flatMap((c) =>
    (c.endpoints ?? []).map((e) => {
      // Its own checks, plus config problems of its whole cluster (an unknown protocol affects every endpoint).
      const mine = checks.filter((k) => k.cluster === c.name && (k.endpoint === e.name || (k.endpoint === undefined && k.area === 'config')));
      const notOk = mine.filter((k) => k.status !== 'ok').sort((a, b) => statusRank(b.status) - statusRank(a.status));
      return {
        cluster: c.name,
        endpoint: e.name,
        baseUrl: safeUrl(e.baseUrl),
        active: activeClusterName({ activeCluster: config.activeCluster, activeClusters: config.activeClusters ?? {}, clusters: config.clusters ?? [] }, c.protocol) === c.name,
        status: worst(mine.map((k) => k.status)),
        causes: [...new Set(notOk.map((k) => k.cause))],
      };
    }),
  );
}

/** Ids must be unique for a tree; a repeated one (e.g. two endpoints with the same name) gets a counter. */
function uniqueIds(checks: DiagnosticCheck[]): DiagnosticCheck[] {
  const seen = new Map<string, number>();
  return checks.map((c) => {
    const n = (seen.get(c.id) ?? 0) + 1;
    seen.set(c.id, n);
    return n === 1 ? c : { ...c, id: `${c.id}#${n}` };
  });
}

function counts(checks: DiagnosticCheck[]): Record<CheckStatus, number> {
  const out: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const c of checks) out[c.status]++;
  return out;
}

/**
 * Runs every check — proxy, port, config, each endpoint (concurrently, each step under its own
 * deadline), the clients' environment and recent history — and returns the report, already
 * redacted with every key the run knew of.
 */
/** The config's caFile, so diagnostics trust what the proxy trusts. */
function configuredCa(config: SwitchyardConfig, homeDir: string): string | undefined {
  if (!config.caFile) return undefined;
  try {
    return fs.readFileSync(expandHome(config.caFile, homeDir), 'utf8');
  } catch {
    return undefined;
  }
}

export async function runDiagnostics(input: DiagnosticsInput): Promise<DiagnosticReport> {
  const started = performance.now();
  const createdAt = new Date().toISOString();
  const { config } = input;
  const deadlines = { ...DEFAULT_DEADLINES, ...input.deadlines };
  const deadline = Deadline.in(deadlines.totalMs);
  const env = input.env ?? process.env;
  const runsIn = input.runsIn ?? 'headless';
  const homeDir = input.homeDir ?? os.homedir();
  const snapshot = probeableSnapshot(config, input.keys, env);
  const target = proxyTarget(input);
  const endpointOptions: EndpointCheckOptions = {
    deadlines,
    deadline,
    slowMs: input.slowMs ?? (config.health?.slowMs > 0 ? config.health.slowMs : DEFAULT_SLOW_MS),
    secureContext: trustingExtraCas(input.tls?.ca ?? configuredCa(config, homeDir)),
    env,
  };
  const logFile = input.requestLogFile ?? config.log?.file;

  const crashed = (subject: CheckSubject) => (err: unknown): DiagnosticCheck[] => [
    finding(subject, { status: 'fail', cause: 'CHECK_CRASHED', summary: `the check itself failed: ${(err as Error)?.message ?? String(err)}`, evidence: { stack: String((err as Error)?.stack ?? '').split('\n').slice(0, 4).join(' | ') }, fix: 'This is a bug in Switchyard; please report it with this report attached.' }),
  ];
  const proxyAndPort = probeHealth(target.host, target.port, deadlines.proxyMs, deadline, config.clientKey).then(async (health) => {
    const [proxy, port, logins, usage] = await Promise.all([
      checkProxy({ ...target, health, switchyard: input.switchyard, clientKey: config.clientKey, proxyMs: deadlines.proxyMs, deadline, runsIn }),
      checkPort({ ...target, health, ownInstanceId: input.switchyard?.instanceId, portOwnerMs: deadlines.portOwnerMs, deadline, runsIn }),
      checkClientLogins({ ...target, switchyard: input.switchyard, clientKey: config.clientKey, proxyMs: deadlines.proxyMs, deadline }),
      checkUsage({ ...target, switchyard: input.switchyard, clientKey: config.clientKey, proxyMs: deadlines.proxyMs, deadline }),
    ]);
    return [proxy, port, ...logins, ...usage];
  }).catch(crashed({ area: 'proxy', title: 'Proxy' }));
  const endpoints = snapshot.clusters.flatMap((c) =>
    c.endpoints.map((e) => checkEndpoint(e, c.protocol, endpointOptions).catch(crashed({ area: 'endpoint', title: 'Endpoint', cluster: c.name, endpoint: e.name }))),
  );
  const environment = checkEnvironment({ clientEnv: input.clientEnv ?? env, homeDir, proxyHost: reachableHost(target.host), proxyPort: target.port, families: families(config), timeouts: config.timeouts ?? DEFAULT_TIMEOUTS, runsIn }).catch(
    crashed({ area: 'environment', title: 'Environment' }),
  );
  const history = checkHistory({ file: logFile ? expandHome(logFile, homeDir) : undefined, records: input.recentRequests, runsIn, windowMs: input.historyWindowMs ?? DEFAULT_HISTORY_WINDOW_MS }).catch(crashed({ area: 'history', title: 'Recent history' }));
  const keyCount = (cluster: string, endpoint: string) => snapshot.clusters.find((c) => c.name === cluster)?.endpoints.find((e) => e.name === endpoint)?.keys.length ?? 0;
  let configChecks: DiagnosticCheck[];
  try {
    configChecks = checkConfig(config, keyCount, env, runsIn);
  } catch (err) {
    configChecks = crashed({ area: 'config', title: 'Config' })(err);
  }
  if (input.configError) configChecks = [invalidConfigFinding(input.configError, input.configFile), ...configChecks.filter((c) => c.status !== 'ok')];

  const [proxyChecks, endpointChecks, environmentChecks, historyChecks] = await Promise.all([proxyAndPort, Promise.all(endpoints), environment, history]);
  const checks = uniqueIds([...proxyChecks, ...configChecks, ...endpointChecks.flat(), ...environmentChecks, ...historyChecks]);
  const report: DiagnosticReport = {
    createdAt,
    durationMs: Math.round(performance.now() - started),
    status: worst(checks.map((c) => c.status)),
    counts: counts(checks),
    proxy: { ...target, url: proxyUrl(target.host, target.port) },
    checks,
    endpoints: endpointVerdicts(config, checks),
  };
  if (input.configFile) report.configFile = input.configFile;
  return redactReport(report, snapshot.secrets);
}

/** An invalid config is when a report helps most: say which field, and what the proxy does with such a file. */
function invalidConfigFinding(error: { field: string; problem: string }, file: string | undefined): DiagnosticCheck {
  return finding(
    { area: 'config', title: 'Config file' },
    {
      status: 'fail',
      cause: 'CONFIG_INVALID',
      summary: `${error.field} ${error.problem}`,
      evidence: { field: error.field, file: file ?? null },
      fix: `Fix ${error.field}. \`switchyard serve\` refuses to start on this file, and a running one keeps its previous config when the file is edited into this state. The other checks below ran on what could be read of it.`,
    },
  );
}
