// Picks the req/s load generator: wrk in its own process when installed, else an undici Pool inside the bench process.

import { Pool } from 'undici';
import { clientPool, throughputFor } from './load';
import { quantile } from './stats';
import { findWrk, Wrk } from './wrk';

export interface BurstResult {
  requests: number;
  errors: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU the generator itself used during the burst (user + system, µs). */
  generatorCpuMicros: number;
}

export interface LoadGenerator {
  /** Where the generator runs, for the output. */
  description: string;
  /** It runs inside the bench process (so its CPU is the bench process's). */
  inProcess: boolean;
  /** Closed-loop small non-streaming POSTs over `connections` keep-alive connections for `seconds`. */
  burst(url: string, seconds: number, connections: number): Promise<BurstResult>;
  close(): Promise<void>;
}

function wrkGenerator(binary: string, dir: string): LoadGenerator {
  const wrk = new Wrk(binary, dir);
  return {
    description: `wrk (${binary}, 1 thread) in its own process`,
    inProcess: false,
    burst: async (url, seconds, connections) => {
      const r = await wrk.run(url, seconds, connections);
      return { requests: r.requests, errors: r.errors, seconds: r.seconds, reqPerSec: r.requests / r.seconds, p50Ms: r.p50Ms, p99Ms: r.p99Ms, generatorCpuMicros: r.cpuMicros };
    },
    close: async () => undefined,
  };
}

function inProcessGenerator(): LoadGenerator {
  const pools = new Map<string, Pool>();
  return {
    description: 'an undici Pool inside the bench process (wrk not found)',
    inProcess: true,
    burst: async (url, seconds, connections) => {
      const key = `${url} ${connections}`;
      if (!pools.has(key)) pools.set(key, clientPool(url, connections));
      const cpu0 = process.cpuUsage();
      const r = await throughputFor(pools.get(key)!, seconds, connections);
      const cpu = process.cpuUsage(cpu0);
      return { requests: r.requests, errors: r.errors, seconds: r.seconds, reqPerSec: r.reqPerSec, p50Ms: quantile(r.latencies, 0.5), p99Ms: quantile(r.latencies, 0.99), generatorCpuMicros: cpu.user + cpu.system };
    },
    close: async () => {
      await Promise.all([...pools.values()].map((p) => p.destroy()));
      pools.clear();
    },
  };
}

/** wrk when it is on PATH, unless BENCH_LOADGEN=undici asks for the in-process generator. */
export function chooseGenerator(dir: string): LoadGenerator {
  const wrk = process.env.BENCH_LOADGEN === 'undici' ? undefined : findWrk();
  return wrk ? wrkGenerator(wrk, dir) : inProcessGenerator();
}
