// Real local upstream servers on port 0 whose handlers inject the faults the proxy must survive.

import * as http from 'node:http';
import * as net from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Index of this request on its connection (0 = first request on a new socket). */
  onSocket: number;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest) => void;

export interface TestUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Sockets currently open on the server side. */
  openSockets(): number;
  /** Closes this upstream and every socket on it. */
  closeAll(): Promise<void>;
  setHandler(h: Handler): void;
}

const servers = new Set<http.Server>();

/** Starts an upstream whose handler sees each request after its body arrived. */
export async function startUpstream(handler: Handler, opts: { keepAliveTimeoutMs?: number } = {}): Promise<TestUpstream> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const perSocket = new WeakMap<net.Socket, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const n = perSocket.get(req.socket) ?? 0;
    perSocket.set(req.socket, n + 1);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), onSocket: n };
      requests.push(rec);
      current(req, res, rec);
    });
  });
  if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.add(server);
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    openSockets: () => sockets.size,
    setHandler: (h) => {
      current = h;
    },
    closeAll: () =>
      new Promise((resolve) => {
        servers.delete(server);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Closes every upstream a test file started. */
export async function closeAllUpstreams(): Promise<void> {
  await Promise.all(
    [...servers].map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
  servers.clear();
}

/** A loopback port on which connections are refused. */
export { freePort as refusedPort } from '../../../src/core/ports';

// ---- Handlers: each one fault or one healthy behaviour ----

export const ANTHROPIC_EVENTS = [
  ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 0 } } }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }],
  ['message_stop', { type: 'message_stop' }],
] as const;

export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Answers 200 JSON naming the upstream, so tests see who served. */
export function okJson(name: string): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'msg_1', type: 'message', served_by: name, content: [{ type: 'text', text: 'hi' }] }));
  };
}

/** A complete Anthropic SSE stream, events spaced by `gapMs`. */
export function anthropicStream(gapMs = 0, events: readonly (readonly [string, unknown])[] = ANTHROPIC_EVENTS): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i >= events.length) {
        res.end();
        return;
      }
      const [name, data] = events[i++];
      res.write(sseEvent(name, data));
      if (gapMs > 0) setTimeout(next, gapMs);
      else next();
    };
    next();
  };
}

/** Sends `count` SSE events then resets the connection. */
export function resetAfterEvents(count: number): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [name, data] of ANTHROPIC_EVENTS.slice(0, count)) res.write(sseEvent(name, data));
    setTimeout(() => req.socket.resetAndDestroy(), 30);
  };
}

/** Sends a status with an error body and optional headers. */
export function status(code: number, headers: Record<string, string> = {}, body?: unknown): Handler {
  return (_req, res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body ?? { type: 'error', error: { type: 'api_error', message: `upstream says ${code}` } }));
  };
}

/** Never answers (the connection stays open until the client gives up). */
export function stall(): Handler {
  return () => undefined;
}
