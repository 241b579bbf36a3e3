// Starts an in-process Switchyard on port 0 with short test deadlines, and a plain HTTP client to talk to it.

import * as http from 'node:http';
import { Switchyard, SwitchyardOptions } from '../../../src/core/switchyard';
import { validateConfig } from '../../../src/core/config';

export interface EndpointSpec {
  name: string;
  baseUrl: string;
  keys?: string[];
  weight?: number;
  priority?: number;
  auth?: 'bearer' | 'x-api-key';
}

export interface TestProxy {
  sy: Switchyard;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Config overrides merged over the test defaults (short deadlines, fast ejection). */
export type Overrides = Record<string, unknown>;

export function testConfig(endpoints: EndpointSpec[], overrides: Overrides = {}, protocol: 'anthropic' | 'openai' = 'anthropic') {
  const { strategy, ...rest } = overrides;
  overrides = rest;
  const base: Record<string, unknown> = {
    activeCluster: 'main',
    clusters: [{ name: 'main', protocol, strategy, endpoints }],
    timeouts: { connectMs: 1000, firstByteMs: 1000, streamFirstByteMs: 1000, idleMs: 1000, shutdownGraceMs: 500 },
    retry: { backoffBaseMs: 1, backoffMaxMs: 5 },
    health: { ejectAfter: 3, unhealthyAfter: 2, ejectionBaseMs: 60_000 },
  };
  for (const [k, v] of Object.entries(overrides)) {
    base[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof base[k] === 'object' ? { ...(base[k] as object), ...(v as object) } : v;
  }
  return validateConfig(base);
}

const running = new Set<Switchyard>();

export async function startProxy(endpoints: EndpointSpec[], overrides: Overrides = {}, extra: Partial<SwitchyardOptions> = {}, protocol: 'anthropic' | 'openai' = 'anthropic'): Promise<TestProxy> {
  const sy = new Switchyard({ config: testConfig(endpoints, overrides, protocol), writeRequestLog: false, usageFile: false, env: {}, ...extra });
  const { port, url } = await sy.start(0, '127.0.0.1');
  running.add(sy);
  return {
    sy,
    port,
    url,
    close: async () => {
      running.delete(sy);
      await sy.stop(200);
    },
  };
}

export async function stopAllProxies(): Promise<void> {
  await Promise.all([...running].map((sy) => sy.stop(200)));
  running.clear();
}

export interface ClientResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The response ended with an error (connection cut) rather than a clean end. */
  aborted: boolean;
  json(): any;
}

export interface SendOptions {
  method?: string;
  path?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Called with each body chunk (for mid-stream aborts). */
  onChunk?(chunk: Buffer, req: http.ClientRequest): void;
}

const agent = new http.Agent({ keepAlive: false });

/** Sends one request and reads the whole response, noting whether it ended cleanly. */
export function send(port: number, opts: SendOptions = {}): Promise<ClientResponse> {
  const body = opts.body === undefined ? JSON.stringify({ model: 'claude-test', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }) : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/v1/messages',
        agent,
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-client-own-key-0000', ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let aborted = false;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          opts.onChunk?.(c, req);
        });
        const done = () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, aborted, json: () => JSON.parse(text) });
        };
        res.on('aborted', () => (aborted = true));
        res.on('error', () => {
          aborted = true;
        });
        res.on('close', () => {
          if (!res.complete) aborted = true;
          done();
        });
      },
    );
    req.on('error', (err) => reject(err));
    if (opts.method === 'GET') req.end();
    else req.end(body);
  });
}

/** Body asking for a stream. */
export const STREAM_BODY = { model: 'claude-test', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] };

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` is true or the deadline passes. */
export async function waitFor(check: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}
