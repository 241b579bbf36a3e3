// Turns a validated config plus the keys from the token sources into the immutable snapshot requests run on.

import { createHash } from 'node:crypto';
import type { ModelPrice } from './prices';
import { activeClusterName, AuthStyle, ClusterConfig, EndpointConfig, Protocol, PROTOCOLS, Strategy, SwitchyardConfig } from './config';

/** Where keys come from besides the config file (SecretStorage, a 0600 file, the environment). */
export interface KeySource {
  /** Keys for one endpoint; must answer synchronously from memory. */
  keysFor(cluster: string, endpoint: string): readonly string[];
}

export interface RuntimeKey {
  /** Stable id that never contains the key: `<endpointId>#<hash>`. */
  id: string;
  value: string;
  suffix: string;
}

export interface RuntimeEndpoint {
  id: string;
  cluster: string;
  name: string;
  baseUrl: string;
  origin: string;
  /** Path prefix of the base URL without a trailing slash ('' for none). */
  basePath: string;
  weight: number;
  priority: number;
  auth: AuthStyle;
  disabled: boolean;
  keys: RuntimeKey[];
  /** The endpoint's own prices (a relay's), over the config's and the list's. */
  prices?: Record<string, ModelPrice>;
}

export interface RuntimeCluster {
  name: string;
  protocol: Protocol;
  strategy: Strategy;
  /** Conversations stay on one target (prompt caches) unless the cluster turned it off. */
  affinity: boolean;
  endpoints: RuntimeEndpoint[];
  /** The endpoints' ids, made once per config generation (the learned deadlines compare peers on every attempt). */
  endpointIds: string[];
}

/** One generation of configuration; each request keeps the one it started with. */
export interface RuntimeSnapshot {
  generation: number;
  config: SwitchyardConfig;
  clusters: RuntimeCluster[];
  /** The cluster `activeCluster` names (the old single active cluster; stats' flat `endpoints` list). */
  active: RuntimeCluster;
  /** The active cluster of each family that has one. */
  activeByFamily: Partial<Record<Protocol, RuntimeCluster>>;
  /** Every key value in this snapshot, for redaction. */
  secrets: string[];
}

/** The short form a key may appear in anywhere: `…a1b2`. */
export function keySuffix(value: string): string {
  return `…${value.slice(-4)}`;
}

export function endpointId(cluster: string, endpoint: string): string {
  return `${cluster}/${endpoint}`;
}

function keyId(endpoint: string, value: string): string {
  return `${endpoint}#${createHash('sha256').update(value).digest('hex').slice(0, 12)}`;
}

/** Splits an environment variable holding one or more keys. */
export function splitKeys(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

function endpointKeys(cluster: ClusterConfig, e: EndpointConfig, id: string, tokens: KeySource | undefined, env: NodeJS.ProcessEnv): RuntimeKey[] {
  const values = [...(e.keys ?? [])];
  if (e.keyEnv && env[e.keyEnv]) values.push(...splitKeys(env[e.keyEnv]!));
  if (tokens) values.push(...tokens.keysFor(cluster.name, e.name));
  const unique = [...new Set(values)];
  return unique.map((value) => ({ id: keyId(id, value), value, suffix: keySuffix(value) }));
}

function buildEndpoint(cluster: ClusterConfig, e: EndpointConfig, tokens: KeySource | undefined, env: NodeJS.ProcessEnv): RuntimeEndpoint {
  const id = endpointId(cluster.name, e.name);
  const url = new URL(e.baseUrl);
  return {
    id,
    cluster: cluster.name,
    name: e.name,
    baseUrl: e.baseUrl,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    weight: e.weight ?? 1,
    priority: e.priority ?? 0,
    auth: e.auth ?? (cluster.protocol === 'openai' ? 'bearer' : 'x-api-key'),
    disabled: e.disabled === true,
    keys: endpointKeys(cluster, e, id, tokens, env),
    prices: e.prices,
  };
}

/** Builds the snapshot for a config; the config must already be validated. */
export function buildSnapshot(config: SwitchyardConfig, generation: number, tokens?: KeySource, env: NodeJS.ProcessEnv = process.env): RuntimeSnapshot {
  const clusters: RuntimeCluster[] = config.clusters.map((c) => {
    const endpoints = c.endpoints.map((e) => buildEndpoint(c, e, tokens, env));
    return { name: c.name, protocol: c.protocol, strategy: c.strategy ?? 'weighted-round-robin', affinity: c.affinity !== false, endpoints, endpointIds: endpoints.map((e) => e.id) };
  });
  const secrets = new Set<string>();
  for (const c of clusters) for (const e of c.endpoints) for (const k of e.keys) secrets.add(k.value);
  if (config.clientKey) secrets.add(config.clientKey);
  const activeByFamily: Partial<Record<Protocol, RuntimeCluster>> = {};
  for (const family of PROTOCOLS) {
    const name = activeClusterName(config, family);
    const cluster = name === undefined ? undefined : clusters.find((c) => c.name === name);
    if (cluster) activeByFamily[family] = cluster;
  }
  return { generation, config, clusters, active: clusters.find((c) => c.name === config.activeCluster)!, activeByFamily, secrets: [...secrets] };
}
