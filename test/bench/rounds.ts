// Runs the interleaved measurement rounds (req/s bursts, sequential latency, first SSE event) over every target.

import { Pool } from 'undici';
import { cpuMicros, machineCpu } from './children';
import { clientPool, firstEvents, sequential } from './load';
import { LoadGenerator } from './loadGenerator';
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
  /** Connections of each req/s burst. */
  connections: number;
  burstSeconds: number;
  warmupSeconds: number;
  sequentialPerRound: number;
  firstEventsTotal: number;
}

interface Samples {
  rps: number[];
  p50: number[];
  p99: number[];
  burstSeconds: number;
  requests: number;
  targetCpu: number;
  upstreamCpu: number;
  generatorCpu: number;
  /** Busy time of the machine meanwhile that none of the generator, the upstream, the proxy and the bench process was charged. */
  othersCpu: number;
  interruptCpu: number;
  seq: number[];
  firstEvent: number[];
  errors: number;
}

const rotate = <T>(list: T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]);

export async function runRounds(targets: Endpoint[], upstreamPid: number, generator: LoadGenerator, s: RoundSettings, progress: (line: string) => void): Promise<TargetFigures[]> {
  const pools = new Map<string, Pool>(targets.map((t) => [t.name, clientPool(t.url, 1)]));
  const samples = new Map<string, Samples>(
    targets.map((t) => [t.name, { rps: [], p50: [], p99: [], burstSeconds: 0, requests: 0, targetCpu: 0, upstreamCpu: 0, generatorCpu: 0, othersCpu: 0, interruptCpu: 0, seq: [], firstEvent: [], errors: 0 }]),
  );
  try {
    for (const t of targets) {
      const pool = pools.get(t.name)!;
      const w = await generator.burst(t.url, s.warmupSeconds, s.connections);
      await sequential(pool, 100);
      await firstEvents(pool, 10);
      if (w.errors > 0) throw new Error(`${t.name}: ${w.errors} of ${w.requests} warm-up requests failed`);
    }
    progress(`warm-up done (${s.warmupSeconds} s of load per target)`);
    const perRound = Math.ceil(s.firstEventsTotal / s.rounds);
    for (let r = 0; r < s.rounds; r++) {
      const order = rotate(targets, r);
      for (const t of order) {
        const isDirect = t.pid === upstreamPid;
        const target0 = cpuMicros(t.pid);
        const upstream0 = cpuMicros(upstreamPid);
        const machine0 = machineCpu();
        const self0 = process.cpuUsage();
        const res = await generator.burst(t.url, s.burstSeconds, s.connections);
        const self = process.cpuUsage(self0);
        const machine1 = machineCpu();
        const x = samples.get(t.name)!;
        const targetCpu = cpuMicros(t.pid) - target0;
        const upstreamCpu = isDirect ? 0 : cpuMicros(upstreamPid) - upstream0;
        x.targetCpu += targetCpu;
        x.upstreamCpu += upstreamCpu;
        x.generatorCpu += res.generatorCpuMicros;
        x.interruptCpu += machine1.interruptMicros - machine0.interruptMicros;
        x.othersCpu += Math.max(0, machine1.processMicros - machine0.processMicros - targetCpu - upstreamCpu - self.user - self.system - (generator.inProcess ? 0 : res.generatorCpuMicros));
        x.burstSeconds += res.seconds;
        x.requests += res.requests;
        x.rps.push(res.reqPerSec);
        x.p50.push(res.p50Ms);
        x.p99.push(res.p99Ms);
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
    const isDirect = t.pid === upstreamPid;
    const share = (micros: number) => micros / 1e6 / x.burstSeconds;
    return {
      name: t.name,
      reqPerSec: median(x.rps),
      reqPerSecRounds: x.rps,
      cpuMicrosPerRequest: x.targetCpu / x.requests,
      cpuShare: { generator: share(x.generatorCpu), upstream: share(isDirect ? x.targetCpu : x.upstreamCpu), proxy: isDirect ? null : share(x.targetCpu), others: share(x.othersCpu), interrupts: share(x.interruptCpu) },
      p50Ms: quantile(x.seq, 0.5),
      p99Ms: quantile(x.seq, 0.99),
      loadedP50Ms: median(x.p50),
      loadedP99Ms: median(x.p99),
      firstEventMs: median(x.firstEvent),
      firstEventSamples: x.firstEvent.length,
      errors: x.errors,
    };
  });
}
