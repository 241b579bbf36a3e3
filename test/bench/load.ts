// The load generator: closed-loop throughput at a fixed concurrency, sequential latency, and time to first SSE event.

import { Dispatcher, Pool } from 'undici';
import { MODE_HEADER, UpstreamMode } from './upstream';

export const MESSAGE_PATH = '/v1/messages';
export const MESSAGE_BODY = JSON.stringify({ model: 'claude-bench', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
const STREAM_BODY = JSON.stringify({ model: 'claude-bench', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

/** A keep-alive client pool to one target, sized for the benchmark's concurrency. */
export function clientPool(url: string, connections: number): Pool {
  return new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
}

/** The headers of every bench request (wrk sends the same ones). */
export function messageHeaders(mode: UpstreamMode): Record<string, string> {
  return { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-client-side', [MODE_HEADER]: mode };
}

/** Options for one Anthropic-style POST in the given upstream mode. */
export function messageRequest(mode: UpstreamMode, signal?: AbortSignal): Dispatcher.RequestOptions {
  return { path: MESSAGE_PATH, method: 'POST', headers: messageHeaders(mode), body: mode === 'json' ? MESSAGE_BODY : STREAM_BODY, signal };
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  reqPerSec: number;
  /** Per-request latency in ms (request start to last body byte). */
  latencies: number[];
}

/** One small non-streaming request, fully read; returns ms or throws on a non-200. */
export async function timedJson(pool: Pool): Promise<number> {
  const t0 = performance.now();
  const res = await pool.request(messageRequest('json'));
  await res.body.dump({ limit: 1 << 20 });
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  return performance.now() - t0;
}

/** Sends `total` requests with `concurrency` workers each keeping one request in flight. */
export async function throughput(pool: Pool, total: number, concurrency: number): Promise<LoadResult> {
  return closedLoop(pool, concurrency, (issued) => issued < total);
}

/** Like throughput(), for a fixed time instead of a fixed count. */
export async function throughputFor(pool: Pool, seconds: number, concurrency: number): Promise<LoadResult> {
  const until = performance.now() + seconds * 1000;
  return closedLoop(pool, concurrency, () => performance.now() < until);
}

async function closedLoop(pool: Pool, concurrency: number, another: (issued: number) => boolean): Promise<LoadResult> {
  let issued = 0;
  let errors = 0;
  const latencies: number[] = [];
  const worker = async () => {
    while (another(issued)) {
      issued++;
      try {
        latencies.push(await timedJson(pool));
      } catch {
        errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { requests: issued, errors, seconds, reqPerSec: latencies.length / seconds, latencies };
}

/** `n` requests one after another: latency without queueing. */
export async function sequential(pool: Pool, n: number): Promise<LoadResult> {
  return throughput(pool, n, 1);
}

/** Time from request start to the first `event:` line, for `n` sequential streaming requests (each read to its end). */
export async function firstEvents(pool: Pool, n: number): Promise<{ samples: number[]; errors: number }> {
  const samples: number[] = [];
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    try {
      const res = await pool.request(messageRequest('sse'));
      let seen = '';
      let first = NaN;
      for await (const chunk of res.body) {
        if (Number.isNaN(first)) {
          seen += (chunk as Buffer).toString('latin1');
          if (seen.includes('event:')) first = performance.now() - t0;
        }
      }
      if (res.statusCode !== 200 || Number.isNaN(first) || !seen.includes('message_start')) throw new Error('no first event');
      samples.push(first);
    } catch {
      errors++;
    }
  }
  return { samples, errors };
}
