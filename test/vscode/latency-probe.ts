// Runs outside the extension host: an SSE upstream, and a client timing the first event straight to it and through the proxy, interleaved.
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as readline from 'readline';

export interface ProbeRequest {
  proxyPort: number;
  rounds: number;
  /** Each request waits a random 0..maxPauseMs first, so requests land all over a busy neighbour's cycle. */
  maxPauseMs: number;
}

export interface ProbeResult {
  directMs: number[];
  proxyMs: number[];
}

function events(list: [string, unknown][]): string {
  return list.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join('');
}

/** The opening and the first content at once (the proxy holds an opening until content comes, so it can still fail over). */
const START = events([
  ['message_start', { type: 'message_start', message: { id: 'msg_probe', type: 'message', role: 'assistant', model: 'probe', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 0 } } }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } }],
]);
const REST = events([
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 1 } }],
  ['message_stop', { type: 'message_stop' }],
]);

function upstream(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(START);
      setTimeout(() => res.end(REST), 5);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Milliseconds from sending the request to the first byte of its event stream. */
function firstEventMs(port: number, agent: http.Agent, n: number): Promise<number> {
  const body = JSON.stringify({ model: 'probe', max_tokens: 8, stream: true, messages: [{ role: 'user', content: `probe ${n}` }] });
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first: number | undefined;
    const req = http.request(
      { host: '127.0.0.1', port, path: '/v1/messages', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': 'sk-probe-client-0000' } },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} from port ${port}`));
        res.on('data', () => (first ??= Number(process.hrtime.bigint() - started) / 1e6));
        res.on('end', () => (first === undefined ? reject(new Error('no event')) : resolve(first)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function measure(upstreamPort: number, r: ProbeRequest): Promise<ProbeResult> {
  const agents = { direct: new http.Agent({ keepAlive: true }), proxy: new http.Agent({ keepAlive: true }) };
  const out: ProbeResult = { directMs: [], proxyMs: [] };
  for (let i = 0; i < r.rounds; i++) {
    const order = Math.random() < 0.5 ? (['direct', 'proxy'] as const) : (['proxy', 'direct'] as const);
    for (const target of order) {
      await new Promise((done) => setTimeout(done, Math.random() * r.maxPauseMs));
      const ms = await firstEventMs(target === 'direct' ? upstreamPort : r.proxyPort, agents[target], i);
      (target === 'direct' ? out.directMs : out.proxyMs).push(ms);
    }
  }
  agents.direct.destroy();
  agents.proxy.destroy();
  return out;
}

/** Prints `{"upstream": port}`, then for each request line on stdin prints one result line; ends with stdin. */
async function main(): Promise<void> {
  const server = await upstream();
  const port = (server.address() as AddressInfo).port;
  process.stdout.write(`${JSON.stringify({ upstream: port })}\n`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) process.stdout.write(`${JSON.stringify(await measure(port, JSON.parse(line) as ProbeRequest))}\n`);
  server.close();
}

if (require.main === module) void main();
