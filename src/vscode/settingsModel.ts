// Turns `switchyard.*` setting values into a validated core config, and edits the clusters setting (no `vscode` import).

import { ConfigError, EndpointConfig, Protocol, Strategy, SwitchyardConfig, validateConfig } from '../core/config';

/** The raw values of the settings that make up the proxy's config. */
export interface SettingsValues {
  port?: unknown;
  host?: unknown;
  activeCluster?: unknown;
  activeClusters?: unknown;
  clusters?: unknown;
  timeouts?: unknown;
  retry?: unknown;
  health?: unknown;
  prices?: unknown;
  affinity?: unknown;
  /** `switchyard.upstreamProxy`, else VS Code's own `http.proxy`. */
  upstreamProxy?: unknown;
  caFile?: unknown;
}

/** Keys someone wrote into settings.json; they are ignored there and may be moved to SecretStorage. */
export interface KeysInSettings {
  cluster: string;
  endpoint: string;
  keys: string[];
}

export type SettingsResult =
  | { kind: 'unconfigured' }
  | { kind: 'valid'; config: SwitchyardConfig; keysInSettings: KeysInSettings[] }
  | { kind: 'invalid'; setting: string; message: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** `clusters[0].endpoints[1].baseUrl` → `switchyard.clusters[0].endpoints[1].baseUrl`, with the names it points at. */
export function describeConfigError(err: ConfigError, clusters: unknown): { setting: string; message: string } {
  const setting = err.field === '(root)' ? 'switchyard' : `switchyard.${err.field}`;
  const names: string[] = [];
  const m = /^clusters\[(\d+)\](?:\.endpoints\[(\d+)\])?/.exec(err.field);
  if (m && Array.isArray(clusters)) {
    const c = clusters[Number(m[1])];
    if (isObj(c) && typeof c.name === 'string') names.push(`cluster "${c.name}"`);
    const eps = isObj(c) ? c.endpoints : undefined;
    const e = m[2] !== undefined && Array.isArray(eps) ? eps[Number(m[2])] : undefined;
    if (isObj(e) && typeof e.name === 'string') names.push(`endpoint "${e.name}"`);
  }
  return { setting, message: `${setting}${names.length ? ` (${names.join(', ')})` : ''} ${err.problem}` };
}

/** Drops any `keys` (or, by their older name, `tokens`) written into settings (keys never come from there) and reports them. */
function withoutKeys(clusters: unknown): { clusters: unknown; found: KeysInSettings[] } {
  if (!Array.isArray(clusters)) return { clusters, found: [] };
  const found: KeysInSettings[] = [];
  const cleaned = clusters.map((c) => {
    if (!isObj(c) || !Array.isArray(c.endpoints)) return c;
    return {
      ...c,
      endpoints: c.endpoints.map((e) => {
        if (!isObj(e) || (e.keys === undefined && e.tokens === undefined)) return e;
        const { keys: listed, tokens, ...rest } = e;
        const keys = [listed, tokens].flatMap((l) => (Array.isArray(l) ? l : [])).filter((t): t is string => typeof t === 'string' && t.trim() !== '').map((t) => t.trim());
        if (keys.length > 0 && typeof c.name === 'string' && typeof e.name === 'string') found.push({ cluster: c.name, endpoint: e.name, keys });
        return rest;
      }),
    };
  });
  return { clusters: cleaned, found };
}

/**
 * `switchyard.activeClusters` as far as it still names clusters of the right family. Switch Cluster
 * writes it, so an entry left behind by a cluster removed by hand is dropped (that family's first
 * cluster serves) rather than stopping the proxy.
 */
function currentActiveClusters(value: unknown, clusters: unknown): unknown {
  if (!isObj(value)) return value;
  const list = Array.isArray(clusters) ? clusters.filter(isObj) : [];
  return Object.fromEntries(Object.entries(value).filter(([family, name]) => name !== '' && list.some((c) => c.name === name && (c.protocol ?? 'anthropic') === family)));
}

/** Validates the settings as the core would; `unconfigured` when no cluster exists yet. */
export function configFromSettings(values: SettingsValues): SettingsResult {
  if (values.clusters === undefined || (Array.isArray(values.clusters) && values.clusters.length === 0)) return { kind: 'unconfigured' };
  const { clusters, found } = withoutKeys(values.clusters);
  const raw: Obj = {
    port: values.port,
    host: values.host === '' ? undefined : values.host,
    activeCluster: values.activeCluster === '' ? undefined : values.activeCluster,
    activeClusters: currentActiveClusters(values.activeClusters, clusters),
    clusters,
    timeouts: isObj(values.timeouts) && Object.keys(values.timeouts).length === 0 ? undefined : values.timeouts,
    retry: isObj(values.retry) && Object.keys(values.retry).length === 0 ? undefined : values.retry,
    health: isObj(values.health) && Object.keys(values.health).length === 0 ? undefined : values.health,
    prices: isObj(values.prices) && Object.keys(values.prices).length === 0 ? undefined : values.prices,
    affinity: isObj(values.affinity) && Object.keys(values.affinity).length === 0 ? undefined : values.affinity,
    upstreamProxy: values.upstreamProxy === '' ? undefined : values.upstreamProxy,
    caFile: values.caFile === '' ? undefined : values.caFile,
  };
  try {
    const config = validateConfig(raw);
    // The request log goes to the output channel; no file unless the headless CLI is used.
    return { kind: 'valid', config, keysInSettings: found };
  } catch (err) {
    if (err instanceof ConfigError) return { kind: 'invalid', ...describeConfigError(err, clusters) };
    throw err;
  }
}

export interface NewCluster {
  name: string;
  protocol: Protocol;
  strategy?: Strategy;
}

export interface NewEndpoint {
  name: string;
  baseUrl: string;
  weight?: number;
}

function clusterList(raw: unknown): Obj[] {
  return Array.isArray(raw) ? (clone(raw) as unknown[]).filter(isObj) : [];
}

function findCluster(list: Obj[], cluster: string): Obj {
  const c = list.find((x) => x.name === cluster);
  if (!c) throw new Error(`there is no cluster named "${cluster}" in switchyard.clusters`);
  if (!Array.isArray(c.endpoints)) c.endpoints = [];
  return c;
}

/** The clusters setting with one more cluster (no endpoints yet). */
export function withCluster(raw: unknown, c: NewCluster): Obj[] {
  const list = clusterList(raw);
  if (list.some((x) => x.name === c.name)) throw new Error(`a cluster named "${c.name}" already exists`);
  list.push({ name: c.name, protocol: c.protocol, ...(c.strategy && c.strategy !== 'weighted-round-robin' ? { strategy: c.strategy } : {}), endpoints: [] });
  return list;
}

/** The clusters setting with one more endpoint in `cluster`. */
export function withEndpoint(raw: unknown, cluster: string, e: NewEndpoint): Obj[] {
  const list = clusterList(raw);
  const c = findCluster(list, cluster);
  const eps = c.endpoints as Obj[];
  if (eps.some((x) => isObj(x) && x.name === e.name)) throw new Error(`cluster "${cluster}" already has an endpoint named "${e.name}"`);
  eps.push({ name: e.name, baseUrl: e.baseUrl, ...(e.weight !== undefined && e.weight !== 1 ? { weight: e.weight } : {}) });
  return list;
}

/** The clusters setting with one endpoint changed by `patch` (undefined values delete the field). */
export function withEndpointPatch(raw: unknown, cluster: string, endpoint: string, patch: Partial<Record<keyof EndpointConfig, unknown>>): Obj[] {
  const list = clusterList(raw);
  const c = findCluster(list, cluster);
  const e = (c.endpoints as unknown[]).find((x) => isObj(x) && x.name === endpoint) as Obj | undefined;
  if (!e) throw new Error(`cluster "${cluster}" has no endpoint named "${endpoint}"`);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete e[k];
    else e[k] = v;
  }
  return list;
}

/** The clusters setting without one endpoint. */
export function withoutEndpoint(raw: unknown, cluster: string, endpoint: string): Obj[] {
  const list = clusterList(raw);
  const c = findCluster(list, cluster);
  const before = (c.endpoints as unknown[]).length;
  c.endpoints = (c.endpoints as unknown[]).filter((x) => !(isObj(x) && x.name === endpoint));
  if ((c.endpoints as unknown[]).length === before) throw new Error(`cluster "${cluster}" has no endpoint named "${endpoint}"`);
  return list;
}

/** The clusters setting without the `tokens` fields (after they were moved to SecretStorage). */
export function withoutSettingsKeys(raw: unknown): unknown {
  return withoutKeys(clone(raw)).clusters;
}

/** Checks a base URL the way the config does, returning the problem or undefined. */
export function baseUrlProblem(value: string): string | undefined {
  try {
    validateConfig({ clusters: [{ name: 'x', endpoints: [{ name: 'x', baseUrl: value }] }] });
    return undefined;
  } catch (err) {
    return err instanceof ConfigError ? `The base URL ${err.problem}` : String(err);
  }
}

/** The official base URL for a protocol, offered as the default. */
export function officialBaseUrl(protocol: Protocol): string {
  return protocol === 'openai' ? 'https://api.openai.com' : 'https://api.anthropic.com';
}
