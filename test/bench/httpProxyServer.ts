// Child process: the `http-proxy` npm package as a plain keep-alive reverse proxy, the Node reference point.

import * as http from 'node:http';
import { listenAsChild } from './childServer';
import httpProxy from 'http-proxy';

function main(): void {
  const target = process.argv[2];
  if (!target) throw new Error('usage: httpProxyServer.js http://127.0.0.1:PORT');
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const proxy = httpProxy.createProxyServer({ target, agent, xfwd: false });
  proxy.on('error', (_err, _req, res) => {
    const out = res as http.ServerResponse;
    if (out.headersSent || typeof out.writeHead !== 'function') out.destroy();
    else out.writeHead(502).end();
  });
  const server = http.createServer({ keepAliveTimeout: 30_000, noDelay: true }, (req, res) => proxy.web(req, res));
  listenAsChild(server, 'http-proxy');
}

main();
