// Loopback servers that each carry one fault for the diagnostics tests, and a child process that holds a port.

import { spawn, ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { TestCert } from './diagCerts';

export interface Closable {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function track(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // TLS servers hand out their sockets on this event instead.
  server.on('secureConnection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

async function listen(server: net.Server, scheme: string): Promise<Closable> {
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP upstream answering every request with `handler`. */
export function startHttp(handler: Handler): Promise<Closable> {
  return listen(http.createServer(handler), 'http');
}

/** An HTTPS upstream with the given certificate. */
export function startHttps(cert: TestCert, handler: Handler): Promise<Closable> {
  return listen(https.createServer({ key: cert.key, cert: cert.cert }, handler), 'https');
}

/** Accepts TCP connections and never says a word: a TLS handshake against it never finishes. */
export function startSilentTcp(): Promise<Closable> {
  return listen(net.createServer(() => undefined), 'https');
}

/** Answers JSON with a status (and headers) to every request. */
export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

export interface ForeignHolder {
  port: number;
  pid: number;
  close(): Promise<void>;
}

/**
 * A separate `node` process listening on a loopback port and answering plain HTTP 404s. It exits
 * when its stdin closes, so it never outlives the test process, and holds none of the runner's pipes.
 */
export async function spawnForeignHolder(): Promise<ForeignHolder> {
  const script = "process.stdin.resume();process.stdin.on('end',()=>process.exit());require('http').createServer((q,s)=>{s.writeHead(404);s.end('not switchyard')}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})";
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`foreign holder exited with ${code}`)));
  });
  return {
    port,
    pid: child.pid!,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
