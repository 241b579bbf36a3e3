// Child process: the floor under Switchyard's design — node:http in, undici's raw dispatch out, the body buffered, and none of Switchyard's own work.

import * as http from 'node:http';
import { listenAsChild } from './childServer';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';

/** Enough for the bench's 500 held streams plus its load connections. */
const MAX_SOCKETS = 2048;
/** Hop-by-hop headers a relay must not forward (RFC 9110 §7.6.1). */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

function forwardHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  return out;
}

/** Relays one answer to the client as it arrives: head on the first event, chunks as they come. */
class Relay implements Dispatcher.DispatchHandler {
  constructor(private readonly res: http.ServerResponse) {}
  onRequestStart(): void {}
  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    const list: [string, string | string[]][] = [];
    for (const name in headers) if (!HOP.has(name)) list.push([name, headers[name]!]);
    this.res.writeHead(status, list.flat() as string[]);
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.res.write(chunk);
  }
  onResponseEnd(): void {
    this.res.end();
  }
  onResponseError(): void {
    this.res.destroy();
  }
}

function main(): void {
  const target = process.argv[2];
  if (!target) throw new Error('usage: bareRelayServer.js http://127.0.0.1:PORT');
  const pool = new Pool(target, { connections: MAX_SOCKETS, pipelining: 1 });
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 0 ? null : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers: forwardHeaders(req.rawHeaders), body }, new Relay(res));
    });
  });
  listenAsChild(server, 'bare relay');
}

main();
