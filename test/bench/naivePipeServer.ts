// Child process: the naive Node pipe — http.createServer forwarding each request with http.request over a keep-alive Agent, piped both ways.

import * as http from 'node:http';
import { listenAsChild } from './childServer';

/** Enough for the bench's 500 held streams plus its load connections. */
const MAX_SOCKETS = 2048;

function main(): void {
  const target = process.argv[2];
  if (!target) throw new Error('usage: naivePipeServer.js http://127.0.0.1:PORT');
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const server = http.createServer((req, res) => {
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    // Only what keeps the process alive: a failed upstream request ends the client's response.
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  listenAsChild(server, 'naive pipe');
}

main();
