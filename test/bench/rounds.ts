// Runs the interleaved measurement rounds (throughput, sequential latency, first SSE event) over every target.

import { Pool } from 'undici';
import { cpuMicros } from './children';
import { clientPool, firstEvents, sequential, throughput } from './load';
import { median, quantile } from './stats';
import { TargetFigures } from './report';

export interface Endpoint {
  name: string;
  url: string;
  /** The process whose CPU time is charged to this target: the proxy, or the upstream for direct. */
  pid: number;
}

export interface RoundSettings {
  rounds: number;
  concurrency: number;
  requestsPerRound: number;
  sequentialPerRound: number;
  firstEventsTotal: number;
  warmupRequests: number;
}

interface Samples {
  rps: number[];
  cpuMicros: number;
  cpuRequests: number;
  seq: number[];
  loaded: number[];
  firstEvent: number[];
  errors: number;
}

const rotate = <T>(list: T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]);

export async function runRounds(targets: Endpoint[], s: RoundSettings, progress: (line: string) => void): Promise<TargetFigures[]> {
  const pools = new Map<string, Pool>(targets.map((t) => [t.name, clientPool(t.url, s.concurrency)]));
  const samples = new Map<string, Samples>(targets.map((t) => [t.name, { rps: [], cpuMicros: 0, cpuRequests: 0, seq: [], loaded: [], firstEvent: [], errors: 0 }]));
  try {
    for (const t of targets) {
      const pool = pools.get(t.name)!;
      const w = await throughput(pool, s.warmupRequests, s.concurrency);
      await sequential(pool, 100);
      await firstEvents(pool, 10);
      if (w.errors > 0) throw new Error(`${t.name}: ${w.errors} of ${w.requests} warm-up requests failed`);
    }
    progress(`warm-up done (${s.warmupRequests} requests per target)`);
    const perRound = Math.ceil(s.firstEventsTotal / s.rounds);
    for (let r = 0; r < s.rounds; r++) {
      const order = rotate(targets, r);
      for (const t of order) {
        const cpu0 = cpuMicros(t.pid);
        const res = await throughput(pools.get(t.name)!, s.requestsPerRound, s.concurrency);
        const x = samples.get(t.name)!;
        x.cpuMicros += cpuMicros(t.pid) - cpu0;
        x.cpuRequests += res.requests;
        x.rps.push(res.reqPerSec);
        x.loaded.push(...res.latencies);
        x.errors += res.errors;
      }
      for (const t of order) {
        const res = await sequential(pools.get(t.name)!, s.sequentialPerRound);
        const x = samples.get(t.name)!;
        x.seq.push(...res.latencies);
        x.errors += res.errors;
      }
      for (const t of order) {
        const res = await firstEvents(pools.get(t.name)!, perRound);
        const x = samples.get(t.name)!;
        x.firstEvent.push(...res.samples);
        x.errors += res.errors;
      }
      progress(`round ${r + 1}/${s.rounds}: ${order.map((t) => `${t.name} ${Math.round(samples.get(t.name)!.rps[r])} req/s`).join(', ')}`);
    }
  } finally {
    await Promise.all([...pools.values()].map((p) => p.destroy()));
  }
  return targets.map((t) => {
    const x = samples.get(t.name)!;
    return {
      name: t.name,
      reqPerSec: median(x.rps),
      reqPerSecRounds: x.rps,
      cpuMicrosPerRequest: x.cpuMicros / x.cpuRequests,
      p50Ms: quantile(x.seq, 0.5),
      p99Ms: quantile(x.seq, 0.99),
      loadedP50Ms: quantile(x.loaded, 0.5),
      loadedP99Ms: quantile(x.loaded, 0.99),
      firstEventMs: median(x.firstEvent),
      firstEventSamples: x.firstEvent.length,
      errors: x.errors,
    };
  });
}
