// Holds many idle SSE streams open through a proxy and reads its memory, then checks they all close upstream.

import { request } from 'undici';
import { rssBytes } from './children';
import { clientPool, messageRequest } from './load';

export interface StreamsResult {
  streams: number;
  opened: number;
  errors: number;
  openSeconds: number;
  rssIdleBytes: number;
  rssBytes: number;
  /** Streams the upstream saw open while all were held (beyond those open before). */
  upstreamStreams: number;
  /** Time from closing the clients until the upstream was back to the streams open before (NaN: not within 5 s). */
  closedUpstreamMs: number;
  /** Switchyard's own view while the streams were open, when it has one. */
  proxyStats?: { rssBytes: number; heapUsedBytes: number; upstreamSockets: number; inFlight: number };
  /** Switchyard's upstreamSockets one second after every stream closed upstream. */
  proxySocketsAfterClose?: number;
}

interface UpstreamStats {
  openConnections: number;
  activeStreams: number;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
  return (await res.body.json()) as T;
}

export function upstreamStats(upstreamUrl: string): Promise<UpstreamStats> {
  return getJson<UpstreamStats>(`${upstreamUrl}/_bench/stats`);
}

interface SwitchyardStatsLike {
  upstreamSockets: number;
  memory: { rssBytes: number; heapUsedBytes: number };
  requests: { inFlight: number };
}

export function switchyardStats(url: string): Promise<SwitchyardStatsLike> {
  return getJson<SwitchyardStatsLike>(`${url}/_switchyard/stats`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HeldStreams {
  opened: number;
  errors: number;
  openSeconds: number;
  /** Hangs up every stream (destroys the client pool). */
  close(): Promise<void>;
}

/** Opens `n` idle streams (64 being set up at a time) and waits for each one's first event; they stay open until close(). */
export async function holdIdleStreams(url: string, n: number): Promise<HeldStreams> {
  const pool = clientPool(url, n);
  const held: NodeJS.ReadableStream[] = [];
  let opened = 0;
  let errors = 0;
  let next = 0;
  const opener = async () => {
    while (next < n) {
      next++;
      try {
        const res = await pool.request(messageRequest('idle'));
        await new Promise<void>((resolve, reject) => {
          res.body.once('data', () => resolve());
          res.body.once('error', reject);
          res.body.once('end', () => reject(new Error('stream ended')));
        });
        res.body.on('error', () => undefined);
        held.push(res.body);
        opened++;
      } catch {
        errors++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 64 }, opener));
  const openSeconds = (performance.now() - t0) / 1000;
  return {
    opened,
    errors,
    openSeconds,
    close: async () => {
      await pool.destroy();
      held.length = 0;
    },
  };
}

/** Holds `n` idle streams, measures the proxy's RSS (and Switchyard's own stats), closes them, and times their end upstream. */
export async function idleStreams(url: string, pid: number, upstreamUrl: string, n: number, isSwitchyard: boolean): Promise<StreamsResult> {
  const rssIdleBytes = rssBytes(pid);
  const baseline = (await upstreamStats(upstreamUrl)).activeStreams;
  const { opened, errors, openSeconds, close } = await holdIdleStreams(url, n);
  await sleep(300);
  const result: StreamsResult = {
    streams: n,
    opened,
    errors,
    openSeconds,
    rssIdleBytes,
    rssBytes: rssBytes(pid),
    upstreamStreams: (await upstreamStats(upstreamUrl)).activeStreams - baseline,
    closedUpstreamMs: NaN,
  };
  if (isSwitchyard) {
    const s = await switchyardStats(url);
    result.proxyStats = { rssBytes: s.memory.rssBytes, heapUsedBytes: s.memory.heapUsedBytes, upstreamSockets: s.upstreamSockets, inFlight: s.requests.inFlight };
  }
  const closed = performance.now();
  await close();
  for (let i = 0; i < 100; i++) {
    if ((await upstreamStats(upstreamUrl)).activeStreams <= baseline) {
      result.closedUpstreamMs = performance.now() - closed;
      break;
    }
    await sleep(50);
  }
  if (isSwitchyard) {
    await sleep(1000);
    result.proxySocketsAfterClose = (await switchyardStats(url)).upstreamSockets;
  }
  return result;
}
