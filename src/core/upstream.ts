// The undici side of the proxy: one keep-alive pool per origin, plus one-shot fresh connections for stale-socket retries.

import * as tls from 'node:tls';
import { Agent, Client, Dispatcher, EnvHttpProxyAgent, ProxyAgent } from './undici';
import { Exchange } from './exchange';
import { isLoopbackHost } from './guard';

export interface UpstreamRequest {
  origin: string;
  path: string;
  method: string;
  headers: string[];
  body: Buffer | null;
  /** Use a brand-new connection that no earlier request touched. */
  fresh: boolean;
}

export interface UpstreamOptions {
  connectMs: number;
  /** A corporate proxy URL, or "env" for HTTP(S)_PROXY/NO_PROXY; loopback upstreams always go direct. */
  proxy?: string;
  /** Extra trusted CA certificates (PEM), added to Node's own roots. */
  ca?: string;
}

const KEEP_ALIVE_MS = 4_000;
const KEEP_ALIVE_MAX_MS = 30_000;
const KEEP_ALIVE_THRESHOLD_MS = 1_000;

function dispatcherOptions(opts: UpstreamOptions) {
  const ca = opts.ca ? [...tls.rootCertificates, opts.ca] : undefined;
  return {
    connect: { timeout: opts.connectMs, ...(ca ? { ca } : {}) },
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MAX_MS,
    keepAliveTimeoutThreshold: KEEP_ALIVE_THRESHOLD_MS,
    // HTTP/1.1 only: predictable per-request connections and no h2 surprises from undici upgrades.
    allowH2: false,
    pipelining: 1,
    // Node's defaults would cut a slow upstream off; deadlines come per request instead.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
}

/** Owns the connection pools; swapping options drains the old pools without cutting requests. */
function proxyDispatcher(opts: UpstreamOptions): Dispatcher | undefined {
  if (!opts.proxy) return undefined;
  const base = dispatcherOptions(opts);
  if (opts.proxy === 'env') return new EnvHttpProxyAgent(base);
  return new ProxyAgent({ ...base, uri: opts.proxy, requestTls: base.connect });
}

function sameOptions(a: UpstreamOptions, b: UpstreamOptions): boolean {
  return a.connectMs === b.connectMs && a.proxy === b.proxy && a.ca === b.ca;
}

export class Upstream {
  private agent: Agent;
  private viaProxy: Dispatcher | undefined;
  private options: UpstreamOptions;
  private readonly fresh = new Set<Client>();

  constructor(options: UpstreamOptions) {
    this.options = options;
    this.agent = new Agent(dispatcherOptions(options));
    this.viaProxy = proxyDispatcher(options);
  }

  setOptions(options: UpstreamOptions): void {
    if (sameOptions(options, this.options)) return;
    const old = [this.agent, this.viaProxy];
    this.options = options;
    this.agent = new Agent(dispatcherOptions(options));
    this.viaProxy = proxyDispatcher(options);
    for (const d of old) void d?.close().catch(() => undefined);
  }

  private dispatcherFor(origin: string): Dispatcher {
    return this.viaProxy && !isLoopbackHost(new URL(origin).hostname.replace(/^\[|\]$/g, '')) ? this.viaProxy : this.agent;
  }

  /** Sends one request; its response events go to the exchange. Never throws: errors reach the exchange. */
  dispatch(r: UpstreamRequest, exchange: Exchange): void {
    const options: Dispatcher.DispatchOptions = {
      origin: r.origin,
      path: r.path,
      method: r.method as Dispatcher.HttpMethod,
      headers: r.headers,
      body: r.body,
      // Deadlines are the pipeline's own timers (precise to the millisecond).
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    let dispatcher: Dispatcher = this.dispatcherFor(r.origin);
    if (r.fresh && !this.viaProxy) {
      const client = new Client(r.origin, dispatcherOptions(this.options));
      this.fresh.add(client);
      exchange.onSettled = () => {
        this.fresh.delete(client);
        void client.close().catch(() => undefined);
      };
      options.reset = true;
      dispatcher = client;
    }
    try {
      dispatcher.dispatch(options, exchange);
    } catch (err) {
      // Invalid options (e.g. a header value undici refuses) surface like any other failure.
      exchange.onResponseError(undefined as unknown as Dispatcher.DispatchController, err as Error);
    }
  }

  /** Open upstream sockets across all pools (a number that must not grow without bound). */
  openSockets(): number {
    let n = 0;
    for (const s of Object.values(this.agent.stats)) n += Number(s.connected);
    for (const c of this.fresh) n += Number(c.stats.connected);
    return n;
  }

  /** Drops every connection at once (used when stopping after the grace period). */
  async destroy(): Promise<void> {
    await Promise.all([this.agent.destroy(), this.viaProxy?.destroy(), ...[...this.fresh].map((c) => c.destroy())]).catch(() => undefined);
  }
}
