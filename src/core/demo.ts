// Simulated Anthropic-style upstreams for `serve --demo`: one healthy, one flaky, one down, so failover shows without a key.

import * as http from 'node:http';
import * as net from 'node:net';
import { SwitchyardConfig, validateConfig } from './config';
import { freePort } from './ports';

export interface SimulatedUpstream {
  url: string;
  close(): Promise<void>;
}

/** A reply in Anthropic's SSE shape, with every event the SDKs expect. */
export function anthropicStream(text: string): string {
  const events: [string, unknown][] = [
    ['message_start', { type: 'message_start', message: { id: 'msg_demo', type: 'message', role: 'assistant', model: 'demo', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 0 } } }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }],
    ['message_stop', { type: 'message_stop' }],
  ];
  return events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join('');
}

/** A non-streaming Anthropic message. */
export function anthropicMessage(text: string): string {
  return JSON.stringify({ id: 'msg_demo', type: 'message', role: 'assistant', model: 'demo', content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 3 } });
}

/** Starts an upstream on 127.0.0.1 that answers /v1/messages, failing `failureRate` of requests with 503/529. */
export async function startSimulatedUpstream(name: string, failureRate: number, latencyMs = 30): Promise<SimulatedUpstream> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      setTimeout(() => {
        if (Math.random() < failureRate) {
          const status = Math.random() < 0.5 ? 503 : 529;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ type: 'error', error: { type: status === 529 ? 'overloaded_error' : 'api_error', message: `${name} is having a bad moment` } }));
          return;
        }
        if (req.url?.startsWith('/v1/models')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ data: [{ id: 'demo', type: 'model' }] }));
          return;
        }
        const wantsStream = (req.headers.accept ?? '').includes('event-stream') || /"stream"\s*:\s*true/.test(body);
        if (wantsStream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(anthropicStream(`Hello from ${name}`));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(anthropicMessage(`Hello from ${name}`));
        }
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Demo {
  config: SwitchyardConfig;
  close(): Promise<void>;
}

/** Starts the three demo upstreams and returns a config that routes over them. */
export async function startDemo(port: number): Promise<Demo> {
  const healthy = await startSimulatedUpstream('healthy', 0);
  const flaky = await startSimulatedUpstream('flaky', 0.4);
  const down = await freePort();
  const config = validateConfig({
    port,
    activeCluster: 'demo',
    clusters: [
      {
        name: 'demo',
        protocol: 'anthropic',
        // The demo is there to show failover: every request is spread, none pinned to a conversation's target.
        affinity: false,
        endpoints: [
          { name: 'healthy', baseUrl: healthy.url, keys: ['sk-demo-healthy-0001'] },
          { name: 'flaky', baseUrl: flaky.url, keys: ['sk-demo-flaky-0002'] },
          { name: 'down', baseUrl: `http://127.0.0.1:${down}`, keys: ['sk-demo-down-0003'] },
        ],
      },
    ],
    health: { ejectAfter: 3, unhealthyAfter: 2, ejectionBaseMs: 5000, recoverMs: 20000 },
  });
  return {
    config,
    close: async () => {
      await Promise.all([healthy.close(), flaky.close()]);
    },
  };
}
