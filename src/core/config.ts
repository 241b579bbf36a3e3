// The configuration contract: its types, its defaults, and validation whose errors name the field.

import type { ModelPrice } from './prices';

export type Protocol = 'anthropic' | 'openai';
export type Strategy = 'weighted-round-robin' | 'latency' | 'priority';
export type AuthStyle = 'x-api-key' | 'bearer';

export const PROTOCOLS: readonly Protocol[] = ['anthropic', 'openai'];
export const STRATEGIES: readonly Strategy[] = ['weighted-round-robin', 'latency', 'priority'];

/** One upstream base URL with the keys that may be used on it. */
export interface EndpointConfig {
  name: string;
  baseUrl: string;
  /** Keys written in the config file (headless only; VS Code keeps keys in SecretStorage). Before 0.2: `tokens`. */
  keys?: string[];
  /** Name of an environment variable holding one key, or several separated by commas/newlines. Before 0.2: `tokenEnv`. */
  keyEnv?: string;
  weight?: number;
  /** Lower numbers are tried first by the `priority` strategy. */
  priority?: number;
  /** Anthropic endpoints send `x-api-key` unless this says `bearer`. */
  auth?: AuthStyle;
  /** Set by the user to take an endpoint out of rotation entirely. */
  disabled?: boolean;
  /** This endpoint's own prices (a relay charges its own), USD per million tokens by model. */
  prices?: Record<string, ModelPrice>;
}

export interface ClusterConfig {
  name: string;
  protocol: Protocol;
  strategy?: Strategy;
  /** Keep each conversation on one endpoint × key so prompt caches hit (default true). */
  affinity?: boolean;
  endpoints: EndpointConfig[];
}

export interface TimeoutsConfig {
  connectMs: number;
  /** First-byte deadline for non-streaming requests. */
  firstByteMs: number;
  /**
   * First-byte deadline for streaming requests (`"stream": true` or `accept: text/event-stream`): the
   * hard limit; the deadline in force is learned per endpoint and model below it (firstByteDeadline.ts).
   */
  streamFirstByteMs: number;
  /** The learned stream deadline never goes below this. */
  streamFirstByteFloorMs: number;
  /** The stream deadline on an endpoint and model with no history yet (grown for large requests). */
  streamFirstByteInitialMs: number;
  /** Longest silence between two body chunks. */
  idleMs: number;
  /** Whole-request limit; 0 = unlimited. */
  totalMs: number;
  /**
   * How long a stream's opening frames (message_start, ping; response.created) may be held back
   * waiting for the first content frame, so an error arriving before any content still fails over.
   */
  openingHoldMs: number;
  /** How long in-flight requests may run on when the proxy stops. */
  shutdownGraceMs: number;
}

export interface RetryConfig {
  /** Attempts per request across different targets (stale-socket retries come on top). */
  maxAttempts: number;
  /** Retries in flight may not exceed this share of requests in flight... */
  budgetRatio: number;
  /** ...unless fewer than this many retries are in flight. */
  minRetryConcurrency: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /**
   * Hedging: a stream with no first byte after this long (at least its endpoint's usual time) gets a
   * second attempt on another endpoint; the first to answer wins, the other is cancelled. 0 = off.
   */
  hedgeAfterMs: number;
  /** When every key is cooling (429), wait this long at most for the earliest to be free before answering 429; 0 = answer at once. */
  cooldownWaitMs: number;
}

export interface AffinityConfig {
  /** How long a conversation stays pinned after its last turn (providers' prompt caches live minutes). */
  ttlMs: number;
  /** The most conversations remembered; the least recently used go first. */
  maxConversations: number;
}

export interface HealthConfig {
  /** Consecutive failures that make an endpoint unhealthy. */
  unhealthyAfter: number;
  /** Consecutive failures that open the circuit (eject). */
  ejectAfter: number;
  ejectionBaseMs: number;
  ejectionMaxMs: number;
  /** A failure streak is forgotten after this long without a new failure. */
  recoverMs: number;
  /** Time to first byte above this marks an endpoint degraded; 0 disables. */
  slowMs: number;
  /** How long a key stays invalid after a 401/403. */
  invalidKeyMs: number;
  /** Cooldown for a 429 that carries no usable reset hint. */
  rateLimitCooldownMs: number;
  /** Cooldown for a TLS certificate error (a configuration fault, ejected longer). */
  tlsEjectionMs: number;
  /**
   * `on`: a non-streaming request waiting far past its endpoint's usual time makes the proxy send a
   * one-token streaming probe there; no first byte means the endpoint is hung (liveness.ts). `off`: wait.
   */
  livenessProbe: 'on' | 'off';
}

export interface LimitsConfig {
  maxBodyBytes: number;
}

export interface LogConfig {
  file?: string;
  maxBytes: number;
  keepFiles: number;
}

export interface SwitchyardConfig {
  port: number;
  host: string;
  /** The active cluster named the old way (one for everything); per family it yields to `activeClusters`. */
  activeCluster: string;
  /** The active cluster of each protocol family: Claude Code and Codex run side by side. */
  activeClusters: Partial<Record<Protocol, string>>;
  clusters: ClusterConfig[];
  timeouts: TimeoutsConfig;
  retry: RetryConfig;
  health: HealthConfig;
  limits: LimitsConfig;
  log: LogConfig;
  affinity: AffinityConfig;
  /** Price overrides by model, USD per million tokens (over the built-in list). */
  prices: Record<string, ModelPrice>;
  /** Where per-day usage totals are kept across restarts (headless default: next to the request log, else ~/.switchyard/usage.json). */
  usageFile?: string;
  /** When set, clients must present it as `x-switchyard-key` (or as their API key). */
  clientKey?: string;
  /** Browser origins allowed to call the proxy (none by default). */
  allowedOrigins: string[];
  /** Send upstream traffic through this HTTP proxy URL, or "env" to follow HTTP(S)_PROXY/NO_PROXY. */
  upstreamProxy?: string;
  /** A PEM file of extra CA certificates to trust (corporate TLS inspection, private relays). */
  caFile?: string;
}

export const DEFAULT_TIMEOUTS: TimeoutsConfig = {
  connectMs: 10_000,
  firstByteMs: 900_000,
  streamFirstByteMs: 120_000,
  streamFirstByteFloorMs: 3_000,
  streamFirstByteInitialMs: 10_000,
  idleMs: 300_000,
  totalMs: 0,
  openingHoldMs: 1_000,
  shutdownGraceMs: 10_000,
};

export const DEFAULT_RETRY: RetryConfig = {
  maxAttempts: 3,
  budgetRatio: 0.2,
  minRetryConcurrency: 8,
  backoffBaseMs: 25,
  backoffMaxMs: 250,
  cooldownWaitMs: 3_000,
  hedgeAfterMs: 0,
};

export const DEFAULT_AFFINITY: AffinityConfig = { ttlMs: 15 * 60_000, maxConversations: 50_000 };

export const DEFAULT_HEALTH: HealthConfig = {
  unhealthyAfter: 3,
  ejectAfter: 5,
  ejectionBaseMs: 30_000,
  ejectionMaxMs: 300_000,
  recoverMs: 60_000,
  slowMs: 0,
  invalidKeyMs: 30 * 60_000,
  rateLimitCooldownMs: 60_000,
  tlsEjectionMs: 300_000,
  livenessProbe: 'on',
};

export const DEFAULT_LIMITS: LimitsConfig = { maxBodyBytes: 32 * 1024 * 1024 };
export const DEFAULT_LOG: LogConfig = { maxBytes: 10 * 1024 * 1024, keepFiles: 3 };
export const DEFAULT_PORT = 7860;
export const DEFAULT_HOST = '127.0.0.1';

/** An invalid config; `field` is a path like `clusters[0].endpoints[1].baseUrl`. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Which of a field's names the object uses: its name, or the one it had before 0.2 ("token" became "key"); not both. */
function olderName(o: Obj, name: string, older: string, path: string): string {
  if (o[older] === undefined) return name;
  if (o[name] !== undefined) throw new ConfigError(`${path}.${older}`, `is the older name of "${name}"; give one of them`);
  return older;
}

function str(o: Obj, key: string, path: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new ConfigError(`${path}.${key}`.replace(/^\./, ''), 'is required');
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '') {
    throw new ConfigError(`${path}.${key}`.replace(/^\./, ''), 'must be a non-empty string');
  }
  return v.trim();
}

function num(o: Obj, key: string, path: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  const field = `${path}.${key}`.replace(/^\./, '');
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(field, `must be a number, got ${JSON.stringify(v)}`);
  if (v < min || v > max) throw new ConfigError(field, `must be between ${min} and ${max}, got ${v}`);
  return v;
}

function section<T extends object>(raw: unknown, path: string, defaults: T, mins: Partial<Record<keyof T, number>> = {}): T {
  if (raw === undefined || raw === null) return { ...defaults };
  if (!isObj(raw)) throw new ConfigError(path, 'must be an object');
  const out = { ...defaults } as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(key in defaults)) throw new ConfigError(`${path}.${key}`, `is not a known setting (known: ${Object.keys(defaults).join(', ')})`);
    const d = (defaults as Record<string, unknown>)[key];
    if (typeof d === 'number') out[key] = num(raw, key, path, d, (mins as Record<string, number>)[key] ?? 0);
    else if (d === undefined || typeof d === 'string') out[key] = str(raw, key, path, false);
  }
  return out as T;
}

/**
 * A value as it may appear in an error message: short values and URLs verbatim, anything long and
 * URL-less only by length and suffix, since a key pasted into the wrong field must not be echoed.
 */
export function shownValue(value: string): string {
  if (value.length <= 16 || value.includes('://')) return JSON.stringify(value.replace(/\/\/[^/@]*@/, '//…@'));
  return `a ${value.length}-character value ending …${value.slice(-4)}`;
}

function parseBaseUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(field, `is not a valid URL: ${shownValue(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(field, `must use http or https, got ${url.protocol}`);
  if (url.search || url.hash) throw new ConfigError(field, 'must not contain a query string or fragment');
  if (url.username || url.password) throw new ConfigError(field, 'must not contain credentials; give the key in "keys" or "keyEnv" instead');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function validateEndpoint(raw: unknown, path: string): EndpointConfig {
  if (!isObj(raw)) throw new ConfigError(path, 'must be an object');
  const name = str(raw, 'name', path, true)!;
  const baseUrl = parseBaseUrl(str(raw, 'baseUrl', path, true)!, `${path}.baseUrl`);
  const keysField = olderName(raw, 'keys', 'tokens', path);
  let keys: string[] | undefined;
  const listed = raw[keysField];
  if (listed !== undefined) {
    if (!Array.isArray(listed)) throw new ConfigError(`${path}.${keysField}`, 'must be a list of strings');
    keys = listed.map((t, i) => {
      if (typeof t !== 'string' || t.trim() === '') throw new ConfigError(`${path}.${keysField}[${i}]`, 'must be a non-empty string');
      if (/\s/.test(t.trim())) throw new ConfigError(`${path}.${keysField}[${i}]`, 'must not contain whitespace');
      return t.trim();
    });
  }
  const keyEnv = str(raw, olderName(raw, 'keyEnv', 'tokenEnv', path), path, false);
  const auth = str(raw, 'auth', path, false);
  if (auth !== undefined && auth !== 'x-api-key' && auth !== 'bearer') throw new ConfigError(`${path}.auth`, `must be "x-api-key" or "bearer", got ${shownValue(auth)}`);
  if (raw.disabled !== undefined && typeof raw.disabled !== 'boolean') throw new ConfigError(`${path}.disabled`, 'must be true or false');
  const prices = raw.prices === undefined ? undefined : validatePrices(raw.prices, `${path}.prices`);
  return {
    name,
    baseUrl,
    keys,
    keyEnv,
    auth: auth as AuthStyle | undefined,
    weight: num(raw, 'weight', path, 1, 0, 1000),
    priority: num(raw, 'priority', path, 0, -1000, 1000),
    disabled: raw.disabled === true,
    ...(prices ? { prices } : {}),
  };
}

const RATE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h'] as const;

/** `{ "model": { "input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite5m": 3.75, "cacheWrite1h": 6 } }`, USD per million tokens. */
function validatePrices(raw: unknown, path: string): Record<string, ModelPrice> {
  if (!isObj(raw)) throw new ConfigError(path, 'must be an object of model names to prices');
  const out: Record<string, ModelPrice> = {};
  for (const [model, value] of Object.entries(raw)) {
    const field = `${path}.${model}`;
    if (!isObj(value)) throw new ConfigError(field, 'must be an object like { "input": 3, "output": 15 } (USD per million tokens)');
    const price: Record<string, number> = {};
    for (const [k, v] of Object.entries(value)) {
      const name = k === 'cacheWrite' ? 'cacheWrite5m' : k;
      if (!(RATE_FIELDS as readonly string[]).includes(name)) throw new ConfigError(`${field}.${k}`, `is not a price field (known: ${RATE_FIELDS.join(', ')})`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`${field}.${k}`, `must be a price in USD per million tokens, got ${JSON.stringify(v)}`);
      price[name] = v;
    }
    if (price.input === undefined || price.output === undefined) throw new ConfigError(field, 'needs at least "input" and "output"');
    out[model] = price as unknown as ModelPrice;
  }
  return out;
}

function validateCluster(raw: unknown, path: string): ClusterConfig {
  if (!isObj(raw)) throw new ConfigError(path, 'must be an object');
  const name = str(raw, 'name', path, true)!;
  const protocol = str(raw, 'protocol', path, false) ?? 'anthropic';
  if (!PROTOCOLS.includes(protocol as Protocol)) throw new ConfigError(`${path}.protocol`, `must be one of ${PROTOCOLS.join(', ')}, got ${shownValue(protocol)}`);
  const strategy = str(raw, 'strategy', path, false) ?? 'weighted-round-robin';
  if (raw.affinity !== undefined && typeof raw.affinity !== 'boolean') throw new ConfigError(`${path}.affinity`, 'must be true or false');
  if (!STRATEGIES.includes(strategy as Strategy)) throw new ConfigError(`${path}.strategy`, `must be one of ${STRATEGIES.join(', ')}, got ${shownValue(strategy)}`);
  if (!Array.isArray(raw.endpoints)) throw new ConfigError(`${path}.endpoints`, 'must be a list of endpoints');
  const endpoints = raw.endpoints.map((e, i) => validateEndpoint(e, `${path}.endpoints[${i}]`));
  const seen = new Set<string>();
  endpoints.forEach((e, i) => {
    if (seen.has(e.name)) throw new ConfigError(`${path}.endpoints[${i}].name`, `duplicate endpoint name ${JSON.stringify(e.name)}`);
    seen.add(e.name);
  });
  return { name, protocol: protocol as Protocol, strategy: strategy as Strategy, ...(raw.affinity === false ? { affinity: false } : {}), endpoints };
}

function validateActiveClusters(raw: unknown, clusters: ClusterConfig[]): Partial<Record<Protocol, string>> {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) throw new ConfigError('activeClusters', 'must be an object like { "anthropic": "main", "openai": "codex" }');
  const out: Partial<Record<Protocol, string>> = {};
  for (const [family, name] of Object.entries(raw)) {
    const field = `activeClusters.${family}`;
    if (!PROTOCOLS.includes(family as Protocol)) throw new ConfigError(field, `is not a protocol family (known: ${PROTOCOLS.join(', ')})`);
    if (name === undefined || name === null || name === '') continue;
    if (typeof name !== 'string') throw new ConfigError(field, 'must be a cluster name');
    const cluster = clusters.find((c) => c.name === name);
    if (!cluster) throw new ConfigError(field, `names no configured cluster: ${shownValue(name)}`);
    if (cluster.protocol !== family) throw new ConfigError(field, `names cluster "${name}", whose protocol is ${cluster.protocol}`);
    out[family as Protocol] = name;
  }
  return out;
}

/** The active cluster of a family: `activeClusters`, else `activeCluster` when it is of that family, else its first cluster. */
export function activeClusterName(config: Pick<SwitchyardConfig, 'activeCluster' | 'activeClusters' | 'clusters'>, family: Protocol): string | undefined {
  const chosen = config.activeClusters[family];
  if (chosen) return chosen;
  if (config.clusters.find((c) => c.name === config.activeCluster)?.protocol === family) return config.activeCluster;
  return config.clusters.find((c) => c.protocol === family)?.name;
}

function validateProxy(value: string | undefined): string | undefined {
  if (value === undefined || value === 'env') return value;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // Reported below.
  }
  // The URL may carry proxy credentials: never echo them.
  throw new ConfigError('upstreamProxy', `must be an http(s) proxy URL or "env", got ${shownValue(value)}`);
}

/** Checks a parsed config object, fills defaults, and throws a ConfigError naming the first bad field. */
export function validateConfig(raw: unknown): SwitchyardConfig {
  if (!isObj(raw)) throw new ConfigError('(root)', 'must be a JSON object');
  if (!Array.isArray(raw.clusters)) throw new ConfigError('clusters', 'must be a list of clusters');
  const clusters = raw.clusters.map((c, i) => validateCluster(c, `clusters[${i}]`));
  const names = new Set<string>();
  clusters.forEach((c, i) => {
    if (names.has(c.name)) throw new ConfigError(`clusters[${i}].name`, `duplicate cluster name ${JSON.stringify(c.name)}`);
    names.add(c.name);
  });
  const activeCluster = str(raw, 'activeCluster', '', false) ?? clusters[0]?.name;
  if (activeCluster === undefined) throw new ConfigError('clusters', 'must contain at least one cluster');
  if (!names.has(activeCluster)) throw new ConfigError('activeCluster', `names no configured cluster: ${shownValue(activeCluster)} (have: ${[...names].join(', ')})`);
  const activeClusters = validateActiveClusters(raw.activeClusters, clusters);

  const timeouts = section(raw.timeouts, 'timeouts', DEFAULT_TIMEOUTS, { connectMs: 1, firstByteMs: 1, streamFirstByteMs: 1, streamFirstByteFloorMs: 1, streamFirstByteInitialMs: 1, idleMs: 1 });
  const retry = section(raw.retry, 'retry', DEFAULT_RETRY, { maxAttempts: 1 });
  if (retry.maxAttempts > 10) throw new ConfigError('retry.maxAttempts', `must be between 1 and 10, got ${retry.maxAttempts}`);
  if (retry.budgetRatio > 1) throw new ConfigError('retry.budgetRatio', `must be between 0 and 1, got ${retry.budgetRatio}`);
  const health = section(raw.health, 'health', DEFAULT_HEALTH, { unhealthyAfter: 1, ejectAfter: 1 });
  if (health.ejectAfter < health.unhealthyAfter) throw new ConfigError('health.ejectAfter', `must be at least health.unhealthyAfter (${health.unhealthyAfter})`);
  if (health.livenessProbe !== 'on' && health.livenessProbe !== 'off') throw new ConfigError('health.livenessProbe', `must be "on" or "off", got ${shownValue(String(health.livenessProbe))}`);
  const limits = section(raw.limits, 'limits', DEFAULT_LIMITS, { maxBodyBytes: 1 });
  const affinity = section(raw.affinity, 'affinity', DEFAULT_AFFINITY, { ttlMs: 1000, maxConversations: 1 });
  const prices = raw.prices === undefined ? {} : validatePrices(raw.prices, 'prices');

  const log = { ...DEFAULT_LOG };
  const logFile = str(raw, 'logFile', '', false);
  if (logFile) log.file = logFile;
  if (raw.log !== undefined) Object.assign(log, section(raw.log, 'log', { file: log.file, maxBytes: log.maxBytes, keepFiles: log.keepFiles }, { maxBytes: 1024 }));

  let allowedOrigins: string[] = [];
  if (raw.allowedOrigins !== undefined) {
    if (!Array.isArray(raw.allowedOrigins) || raw.allowedOrigins.some((o) => typeof o !== 'string')) {
      throw new ConfigError('allowedOrigins', 'must be a list of origins like "http://localhost:3000"');
    }
    allowedOrigins = raw.allowedOrigins as string[];
  }

  return {
    port: num(raw, 'port', '', DEFAULT_PORT, 0, 65535),
    host: str(raw, 'host', '', false) ?? DEFAULT_HOST,
    activeCluster,
    activeClusters,
    clusters,
    timeouts,
    retry,
    health,
    limits,
    log,
    affinity,
    prices,
    usageFile: str(raw, 'usageFile', '', false),
    clientKey: str(raw, 'clientKey', '', false),
    allowedOrigins,
    upstreamProxy: validateProxy(str(raw, 'upstreamProxy', '', false)),
    caFile: str(raw, 'caFile', '', false),
  };
}

/** Parses JSON text (comments not allowed) and validates it; JSON syntax errors name the position. */
export function parseConfigText(text: string): SwitchyardConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('(file)', `is not valid JSON: ${(err as Error).message}`);
  }
  return validateConfig(raw);
}
