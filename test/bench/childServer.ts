// What every server the bench runs as a child does: listen on a free loopback port, say where, and exit with its parent.

import type * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1:0, prints `<label> listening on http://…` (what the bench waits for), and exits when stdin closes or on SIGTERM. */
export function listenAsChild(server: http.Server, label: string): void {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${label} listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  // stdin is the bench's pipe: when the bench goes, so does this child.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
