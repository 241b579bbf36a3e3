// Shared pieces of the in-host suites: the extension's API, settings, local upstreams and requests through the proxy.
import * as assert from 'assert';
import * as http from 'http';
import * as net from 'net';
import * as vscode from 'vscode';
import type { SwitchyardApi } from '../../../src/extension';

export const EXTENSION_ID = 'switchyard.switchyard';
const SETTINGS = ['port', 'host', 'autoStart', 'activeCluster', 'activeClusters', 'clusters', 'timeouts', 'retry', 'health', 'prices', 'affinity', 'logLevel', 'terminalEnv'];

export async function api(): Promise<SwitchyardApi> {
  const ext = vscode.extensions.getExtension<SwitchyardApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  const extensionApi = await ext.activate();
  await extensionApi.ready;
  return extensionApi;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 8000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export { freePort } from '../../../src/core/ports';

/** Writes user settings (undefined removes one) and waits until the extension applied them. */
export async function configure(values: Record<string, unknown>): Promise<void> {
  const section = vscode.workspace.getConfiguration('switchyard');
  for (const [name, value] of Object.entries(values)) await section.update(name, value, vscode.ConfigurationTarget.Global);
  const a = await api();
  await a.service.reload();
  await a.service.settled();
}

/** Removes every switchyard.* user setting and waits until the extension is unconfigured again. */
export async function resetSettings(): Promise<void> {
  await configure(Object.fromEntries(SETTINGS.map((s) => [s, undefined])));
}

export interface Upstream {
  name: string;
  url: string;
  port: number;
  /** Requests received, with the auth headers they carried. */
  hits: { path: string; apiKey?: string; authorization?: string; body: string }[];
  /** Status to answer with (200 = a proper Anthropic reply). */
  status: number;
  /** When set, streams pause after message_start until this resolves. */
  gate?: Promise<void>;
  close(): Promise<void>;
}

function sse(events: [string, unknown][]): string {
  return events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join('');
}

const START: [string, unknown] = ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'test', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 0 } } }];
function rest(text: string): [string, unknown][] {
  return [
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }],
    ['message_stop', { type: 'message_stop' }],
  ];
}

/** A local Anthropic-shaped upstream that says its name; `status` other than 200 injects that failure. */
export async function startUpstream(name: string): Promise<Upstream> {
  const up: Upstream = { name, url: '', port: 0, hits: [], status: 200, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      up.hits.push({ path: req.url ?? '', apiKey: req.headers['x-api-key'] as string | undefined, authorization: req.headers.authorization, body });
      if (up.status !== 200) {
        res.writeHead(up.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `${name} fails on purpose` } }));
        return;
      }
      if (/"stream"\s*:\s*true/.test(body)) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse([START]));
        const finish = () => res.end(sse(rest(`hello from ${name}`)));
        if (up.gate) void up.gate.then(finish);
        else finish();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'test', content: [{ type: 'text', text: `hello from ${name}` }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.port = (server.address() as net.AddressInfo).port;
  up.url = `http://127.0.0.1:${up.port}`;
  up.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return up;
}

export interface ProxyResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** POSTs an Anthropic message through the proxy; `stream` asks for SSE, `prompt` replaces the user's "hi". */
let conversations = 0;

/** One request; without a prompt, each is a conversation of its own (so affinity does not pin them all to one endpoint). */
export function send(port: number, opts: { stream?: boolean; apiKey?: string; path?: string; prompt?: string } = {}): Promise<ProxyResponse> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'test', max_tokens: 8, stream: opts.stream === true, messages: [{ role: 'user', content: opts.prompt ?? `hi (${++conversations})` }] });
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/v1/messages',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'anthropic-version': '2023-06-01', ...(opts.apiKey ? { 'x-api-key': opts.apiKey } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts a request and resolves once the response headers arrived; `done` resolves with the whole body. */
export function startStream(port: number): Promise<{ headers: http.IncomingHttpHeaders; done: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'test', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/messages', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        const done = new Promise<string>((r, j) => {
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => r(Buffer.concat(chunks).toString('utf8')));
          res.on('error', j);
        });
        resolve({ headers: res.headers, done });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether anything listens on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** One cluster setting entry pointing at local upstreams. */
export function cluster(name: string, upstreams: Upstream[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, protocol: 'anthropic', endpoints: upstreams.map((u) => ({ name: u.name, baseUrl: u.url })), ...extra };
}

/** The proxy's port once this window serves. */
export async function servingPort(): Promise<number> {
  const a = await api();
  const v = await waitFor('the proxy to serve', () => {
    const view = a.service.view();
    return view.mode === 'serving' ? view : undefined;
  });
  return v.port;
}

/** GETs a JSON admin route of the proxy. */
export function getJson<T>(port: number, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
          } catch (err) {
            reject(err);
          }
        });
      })
      .on('error', reject);
  });
}
