// The config: clusters have endpoints, URLs parse, protocols are known, names are unique, the active cluster exists, keys are there.

import { ClusterConfig, EndpointConfig, PROTOCOLS, SwitchyardConfig } from '../core/config';
import { finding, ok, plural, Verdict } from './check';
import { DiagnosticsHost, settingRef } from './settingNames';
import { DiagnosticCheck } from './types';

/** How many keys an endpoint ends up with (config, keyEnv and the key file together). */
export type KeyCount = (cluster: string, endpoint: string) => number;

interface Problem {
  cluster?: string;
  endpoint?: string;
  verdict: Verdict;
}

function fail(cause: Verdict['cause'], summary: string, fix: string, evidence: Verdict['evidence'] = {}): Verdict {
  return { status: 'fail', cause, summary, fix, evidence };
}

/** Why a base URL is unusable, or undefined when it is fine (the same rules as config validation). */
export function baseUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'is empty';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `uses ${url.protocol} (only http and https work)`;
  if (url.username || url.password) return 'contains credentials (give the endpoint keys instead)';
  if (url.search || url.hash) return 'contains a query string or fragment';
  return undefined;
}

/** A URL fit for a report: user info replaced, so a password in it never shows. */
export function safeUrl(value: unknown): string {
  return String(value).replace(/\/\/[^/@\s]*@/, '//…@');
}

function duplicates(names: string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

function clusterProblems(c: ClusterConfig, active: boolean): Problem[] {
  const out: Problem[] = [];
  const endpoints = Array.isArray(c.endpoints) ? c.endpoints : [];
  if (!PROTOCOLS.includes(c.protocol)) {
    out.push({ cluster: c.name, verdict: fail('PROTOCOL_UNKNOWN', `cluster "${c.name}" has protocol ${JSON.stringify(c.protocol)}`, `Use one of: ${PROTOCOLS.join(', ')}.`) });
  }
  if (endpoints.length === 0) {
    const v = fail('CLUSTER_EMPTY', `cluster "${c.name}" has no endpoints`, 'Add an endpoint (Switchyard: Add Endpoint) or remove the cluster.');
    out.push({ cluster: c.name, verdict: active ? v : { ...v, status: 'warn' } });
  } else if (active && endpoints.every((e) => e.disabled === true)) {
    out.push({ cluster: c.name, verdict: fail('CLUSTER_EMPTY', `every endpoint of the active cluster "${c.name}" is disabled`, 'Enable at least one endpoint; until then every request fails.', { endpoints: endpoints.map((e) => e.name) }) });
  }
  for (const name of duplicates(endpoints.map((e) => e.name))) {
    out.push({ cluster: c.name, endpoint: name, verdict: fail('NAME_DUPLICATE', `cluster "${c.name}" has two endpoints named "${name}"`, 'Rename one: health, keys and stats are kept by name.') });
  }
  return out;
}

function endpointProblems(c: ClusterConfig, e: EndpointConfig, keyCount: KeyCount, env: NodeJS.ProcessEnv, host: DiagnosticsHost): Problem[] {
  const out: Problem[] = [];
  const urlProblem = baseUrlProblem(e.baseUrl);
  if (urlProblem) {
    out.push({ cluster: c.name, endpoint: e.name, verdict: fail('URL_INVALID', `the base URL of "${e.name}" ${urlProblem}`, 'Write it like https://api.anthropic.com or https://relay.example.com/api.', { baseUrl: safeUrl(e.baseUrl) }) });
  }
  const keys = keyCount(c.name, e.name);
  const envMissing = e.keyEnv !== undefined && !env[e.keyEnv]?.trim();
  const wantsKeys = e.keyEnv !== undefined || e.keys !== undefined;
  if (wantsKeys && keys === 0) {
    const why = envMissing ? `names keyEnv ${e.keyEnv}, which is not set in this environment` : 'lists no keys';
    out.push({ cluster: c.name, endpoint: e.name, verdict: fail('KEY_MISSING', `endpoint "${e.name}" ${why}`, envMissing ? `Export ${e.keyEnv} where Switchyard starts, or add a key (${host === 'vscode' ? '"Switchyard: Add Keys"' : '`switchyard keys add`'}).` : 'Add a key, or remove the empty "keys" list to pass the clients\' own keys through.', { keyEnv: e.keyEnv ?? null, keys: 0 }) });
  } else if (envMissing) {
    out.push({ cluster: c.name, endpoint: e.name, verdict: { status: 'warn', cause: 'KEY_MISSING', summary: `endpoint "${e.name}" names keyEnv ${e.keyEnv}, which is not set (its other ${plural(keys, 'key')} ${keys === 1 ? 'is' : 'are'} used)`, fix: `Export ${e.keyEnv} or drop "keyEnv" from the endpoint.`, evidence: { keyEnv: e.keyEnv ?? null, keys } } });
  }
  return out;
}

function configProblems(config: SwitchyardConfig, keyCount: KeyCount, env: NodeJS.ProcessEnv, host: DiagnosticsHost): Problem[] {
  const clusters = Array.isArray(config.clusters) ? config.clusters : [];
  if (clusters.length === 0) return [{ verdict: fail('CLUSTER_EMPTY', 'the config has no clusters', 'Add a cluster with at least one endpoint.') }];
  const out: Problem[] = [];
  const names = clusters.map((c) => c.name);
  if (!names.includes(config.activeCluster)) {
    out.push({ verdict: fail('ACTIVE_CLUSTER_MISSING', `the active cluster "${config.activeCluster}" does not exist`, `Set ${settingRef('activeCluster', host)} to one of: ${names.join(', ')}.`, { activeCluster: config.activeCluster, clusters: names }) });
  }
  for (const name of duplicates(names)) out.push({ cluster: name, verdict: fail('NAME_DUPLICATE', `two clusters are named "${name}"`, 'Rename one; the active cluster is chosen by name.') });
  for (const c of clusters) {
    out.push(...clusterProblems(c, c.name === config.activeCluster));
    for (const e of Array.isArray(c.endpoints) ? c.endpoints : []) out.push(...endpointProblems(c, e, keyCount, env, host));
  }
  return out;
}

/** One check per config problem, or a single ok check. */
export function checkConfig(config: SwitchyardConfig, keyCount: KeyCount, env: NodeJS.ProcessEnv, host: DiagnosticsHost = 'headless'): DiagnosticCheck[] {
  const problems = configProblems(config, keyCount, env, host);
  if (problems.length === 0) {
    const endpoints = config.clusters.reduce((n, c) => n + c.endpoints.length, 0);
    return [finding({ area: 'config', title: 'Config' }, ok(`${plural(config.clusters.length, 'cluster')}, ${plural(endpoints, 'endpoint')}; active cluster "${config.activeCluster}"`, { clusters: config.clusters.map((c) => c.name), activeCluster: config.activeCluster }))];
  }
  return problems.map((p) => finding({ area: 'config', title: 'Config', cluster: p.cluster, endpoint: p.endpoint, detail: p.verdict.cause }, p.verdict));
}
