// Corporate networks: upstream traffic through an HTTP proxy (loopback stays direct) and extra trusted CAs from caFile.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAllUpstreams, okJson, startUpstream } from './support/upstream';
import { send, startProxy, stopAllProxies } from './support/proxy';
import { selfSignedLoopbackCert } from './support/diagCerts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-corp-'));
const closers: (() => void)[] = [];

after(async () => {
  for (const c of closers) c();
  await stopAllProxies();
  await closeAllUpstreams();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A forward proxy that tunnels CONNECT to 127.0.0.1 whatever host name it is asked for. */
async function startForwardProxy(): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const port = Number((req.url ?? '').split(':').pop());
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, tunnels };
}

test('with upstreamProxy set, remote upstreams are reached through the proxy and loopback ones directly', async () => {
  const forward = await startForwardProxy();
  const remote = await startUpstream(okJson('remote'));
  const local = await startUpstream(okJson('local'));
  const proxy = await startProxy(
    [
      { name: 'remote', baseUrl: `http://relay.corp.test:${remote.port}`, priority: 0 },
      { name: 'local', baseUrl: local.url, priority: 1 },
    ],
    { strategy: 'priority', upstreamProxy: forward.url },
  );
  const r = await send(proxy.port);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().served_by, 'remote');
  assert.deepEqual(forward.tunnels, [`relay.corp.test:${remote.port}`]);

  proxy.sy.applyConfig({ ...proxy.sy.config, clusters: [{ ...proxy.sy.config.clusters[0], endpoints: [proxy.sy.config.clusters[0].endpoints[1]] }] });
  assert.equal((await send(proxy.port)).json().served_by, 'local');
  assert.equal(forward.tunnels.length, 1, 'loopback upstreams never go through the corporate proxy');
});

test('a private CA in caFile makes a relay with that certificate trusted', async () => {
  const { key, cert } = selfSignedLoopbackCert('localhost');
  const server = https.createServer({ key, cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ served_by: 'private-tls' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  const untrusted = await startProxy([{ name: 'tls', baseUrl: `https://localhost:${port}` }], { retry: { maxAttempts: 1 } });
  const denied = await send(untrusted.port);
  assert.equal(denied.status, 502);
  assert.equal(denied.json().switchyard.attempts[0].cause, 'UPSTREAM_TLS');

  const caFile = path.join(tmp, 'ca.pem');
  fs.writeFileSync(caFile, cert);
  const trusted = await startProxy([{ name: 'tls', baseUrl: `https://localhost:${port}` }], { caFile });
  const ok = await send(trusted.port);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json().served_by, 'private-tls');
});
