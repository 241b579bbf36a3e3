// TCP connect for one endpoint: the time it took, and refused vs timed out vs unreachable when it did not work.

import * as net from 'node:net';
import { errorCode, humanMs, since, Verdict } from './check';

export interface TcpOutcome {
  verdict: Verdict;
  /** The connected socket, handed to the TLS step; the caller destroys it. */
  socket?: net.Socket;
  ms: number;
}

type Attempt = { socket: net.Socket } | { code: string };

function connectOnce(address: string, port: number, budgetMs: number): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (a: Attempt) => {
      clearTimeout(timer);
      socket.removeAllListeners('connect');
      socket.removeAllListeners('error');
      if (!('socket' in a)) socket.destroy();
      else socket.on('error', () => undefined); // Later errors belong to whoever uses the socket next.
      resolve(a);
    };
    const timer = setTimeout(() => done({ code: 'TIMEOUT' }), budgetMs);
    socket.once('connect', () => done({ socket }));
    socket.once('error', (err) => done({ code: errorCode(err) ?? 'ERROR' }));
  });
}

function failure(codes: string[], where: string, budgetMs: number, ms: number): Verdict {
  const evidence = { target: where, errors: codes, ms };
  if (codes.every((c) => c === 'ECONNREFUSED')) {
    return { status: 'fail', cause: 'UPSTREAM_CONNECT', formerly: 'CONNECT_REFUSED', summary: `${where} refused the connection: nothing listens on that port`, evidence, fix: 'Check the port in the base URL and that the server (or relay) is running.' };
  }
  if (codes.includes('TIMEOUT') || codes.includes('ETIMEDOUT')) {
    return { status: 'fail', cause: 'UPSTREAM_CONNECT_TIMEOUT', formerly: 'CONNECT_TIMEOUT', summary: `${where} did not accept a connection within ${humanMs(budgetMs)}`, evidence, fix: 'A firewall may drop the packets, or the host is down; outside a corporate network a proxy may be required (http.proxy).' };
  }
  return { status: 'fail', cause: 'UPSTREAM_CONNECT', formerly: 'CONNECT_FAILED', summary: `could not connect to ${where} (${codes.join(', ')})`, evidence, fix: 'The network path to the host is broken (no route, interface down); check the VPN and network.' };
}

/** Connects to each address in turn until one accepts, within one shared budget. */
export async function connectTcp(addresses: string[], port: number, budgetMs: number): Promise<TcpOutcome> {
  const started = performance.now();
  const codes: string[] = [];
  for (const address of addresses) {
    const left = budgetMs - (performance.now() - started);
    if (left <= 0) break;
    const a = await connectOnce(address, port, left);
    if ('socket' in a) {
      const ms = since(started);
      return { verdict: { status: 'ok', cause: 'OK', summary: `connected to ${address} port ${port} in ${ms} ms`, evidence: { address, port, ms } }, socket: a.socket, ms };
    }
    codes.push(a.code);
  }
  if (codes.length === 0) codes.push('TIMEOUT');
  const where = `${addresses.join(', ')} port ${port}`;
  const ms = since(started);
  return { verdict: failure(codes, where, budgetMs, ms), ms };
}
