// Child process: a simulated Anthropic upstream for the benchmark (small JSON, fast SSE, idle and slow streams).

import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { anthropicMessage, anthropicStream } from '../../src/core/demo';

/** Request header that picks a response shape; the body's `"stream":true` alone means `sse`. */
export const MODE_HEADER = 'x-bench-mode';
export type UpstreamMode = 'json' | 'sse' | 'idle' | 'slow';

/** After the first content, the rest of a fast SSE reply follows this much later (so buffering proxies show). */
const SSE_REST_DELAY_MS = 5;
/** Slow streams send one event per tick until all have gone. */
const SLOW_TICK_MS = 20;
const SLOW_EVENTS = 10;

const MESSAGE = anthropicMessage('Hello from the bench upstream');
const EVENTS = anthropicStream('Hello from the bench upstream')
  .split('\n\n')
  .filter(Boolean)
  .map((e) => `${e}\n\n`);
const DELTA = EVENTS.find((e) => e.startsWith('event: content_block_delta'))!;
/**
 * The opening frames and the first content at once, as a model's first token comes: Switchyard holds
 * bare opening frames until content arrives (so it can still fail over), which is no delay to the
 * first token but would be to an opening sent alone.
 */
const FIRST_CONTENT = EVENTS.indexOf(DELTA) + 1;
const FIRST = EVENTS.slice(0, FIRST_CONTENT).join('');
const REST = EVENTS.slice(FIRST_CONTENT).join('');

let openConnections = 0;
let activeStreams = 0;

function modeOf(req: http.IncomingMessage, body: string): UpstreamMode {
  const m = req.headers[MODE_HEADER];
  if (m === 'idle' || m === 'slow' || m === 'sse' || m === 'json') return m;
  return /"stream"\s*:\s*true/.test(body) ? 'sse' : 'json';
}

function startStream(res: http.ServerResponse): void {
  activeStreams++;
  res.once('close', () => activeStreams--);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(FIRST);
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  if (req.url === '/_bench/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ openConnections, activeStreams }));
    return;
  }
  const mode = modeOf(req, body);
  if (mode === 'json') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(MESSAGE) });
    res.end(MESSAGE);
    return;
  }
  startStream(res);
  if (mode === 'idle') return;
  if (mode === 'sse') {
    const t = setTimeout(() => res.end(REST), SSE_REST_DELAY_MS);
    res.once('close', () => clearTimeout(t));
    return;
  }
  let sent = 0;
  const timer = setInterval(() => {
    if (++sent < SLOW_EVENTS) {
      res.write(DELTA);
      return;
    }
    clearInterval(timer);
    res.end(REST);
  }, SLOW_TICK_MS);
  res.once('close', () => clearInterval(timer));
}

function main(): void {
  const server = http.createServer({ keepAliveTimeout: 30_000, noDelay: true }, (req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => answer(req, res, body));
  });
  server.on('connection', (socket) => {
    openConnections++;
    socket.once('close', () => openConnections--);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`upstream listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  // The bench holds our stdin open; when it goes away (even killed), so do we.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

if (require.main === module) main();
