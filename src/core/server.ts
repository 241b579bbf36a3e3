// The node:http listener: guard, body cap, admin routes under /_switchyard/, everything else to the pipeline.

import * as http from 'node:http';
import { checkRequest } from './guard';
import { outcome } from './outcomes';
import { RequestRoute, routeRequest } from './protocols';
import { RuntimeSnapshot } from './runtime';

export interface ServerHooks {
  snapshot(): RuntimeSnapshot;
  boundHost(): string;
  proxy(id: string, snap: RuntimeSnapshot, route: RequestRoute, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer | null): Promise<void>;
  admin(path: string): { status: number; body: unknown } | undefined;
  /** More routes under /_switchyard/ from the application (the dashboard and its event stream); true when one answered. */
  routes?(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  nextRequestId(): string;
}

/**
 * Routes that answer without the client key (Host and Origin still checked): health says only that a
 * Switchyard listens, so other windows and `serve` can name a port's holder; the dashboard's page, script
 * and stylesheet carry no data (a browser cannot send a header when it opens a page). The page's event
 * stream does need the key: its 401 is what makes the page ask for it.
 */
const KEYLESS = new Set(['/_switchyard/health', '/_switchyard/dashboard', '/_switchyard/dashboard/', '/_switchyard/dashboard.js', '/_switchyard/dashboard.css']);

/** Creates the server with Node's own limits set so they never cut a long request or stream short. */
export function createProxyServer(hooks: ServerHooks): http.Server {
  const server = http.createServer(
    {
      requestTimeout: 0,
      headersTimeout: 60_000,
      // Above the clients' idle reuse time so we are not the side that closes a socket they are about to reuse.
      keepAliveTimeout: 65_000,
      noDelay: true,
    },
    (req, res) => onRequest(hooks, req, res),
  );
  server.timeout = 0;
  return server;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...extra });
  res.end(text);
}

/** A WebSocket upgrade (Codex tries one on /v1/responses): refused at once with 426, which makes Codex fall back to HTTP. */
function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket';
}

function onRequest(hooks: ServerHooks, req: http.IncomingMessage, res: http.ServerResponse): void {
  const snap = hooks.snapshot();
  const url = req.url ?? '/';
  // The route decides the error shapes even of refusals, so each client reads them in its own protocol.
  const route = routeRequest(req.method ?? 'GET', url, req.headers);
  const api = route.op.api;
  const clientKey = KEYLESS.has(route.pathname) ? undefined : snap.config.clientKey;
  const verdict = checkRequest(req.headers, hooks.boundHost(), snap.config.allowedOrigins, clientKey);
  if (verdict) {
    sendJson(res, verdict.status, api.errorBody(verdict.status, verdict.code, verdict.message, []), { connection: 'close' });
    req.resume();
    return;
  }
  if (isWebSocketUpgrade(req)) {
    const message = `WebSocket upgrades are not relayed (${route.pathname}); use HTTP with streaming (SSE) instead. ${outcome('WEBSOCKET_UNSUPPORTED').hint}`;
    sendJson(res, 426, api.errorBody(426, 'WEBSOCKET_UNSUPPORTED', message, []), { connection: 'close' });
    req.resume();
    return;
  }
  if (url.startsWith('/_switchyard/') || url === '/_switchyard') {
    if (hooks.routes?.(req, res)) return;
    const answer = hooks.admin(url.split('?')[0]);
    if (answer) sendJson(res, answer.status, answer.body);
    else sendJson(res, 404, { error: `unknown admin path ${url}; try /_switchyard/health, /_switchyard/stats or /_switchyard/dashboard` });
    req.resume();
    return;
  }
  const id = hooks.nextRequestId();
  const max = snap.config.limits.maxBodyBytes;
  const tooLarge = () =>
    sendJson(res, 413, api.errorBody(413, 'BODY_TOO_LARGE', `the request body is larger than limits.maxBodyBytes (${max} bytes); nothing was sent upstream.`, []), {
      connection: 'close',
      'x-switchyard-attempts': '0',
      'x-switchyard-endpoint': 'none',
      'x-switchyard-request-id': id,
    });
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) {
    tooLarge();
    req.resume();
    return;
  }
  const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    req.resume();
    void hooks.proxy(id, snap, route, req, res, null);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let rejected = false;
  req.on('data', (chunk: Buffer) => {
    if (rejected) return;
    size += chunk.length;
    if (size > max) {
      rejected = true;
      chunks.length = 0;
      tooLarge();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (rejected) return;
    void hooks.proxy(id, snap, route, req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
  });
  req.on('error', () => undefined);
}
