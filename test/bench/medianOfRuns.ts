// `node out/test/bench/medianOfRuns.js a.json b.json c.json`: the goal table with each cell the median over several saved bench runs.

import * as fs from 'node:fs';
import { goalTable } from './goalTable';
import { MemoryFigures } from './memoryPhase';
import { BenchReport, TargetFigures } from './report';
import { median } from './stats';

function medianTarget(runs: BenchReport[], name: string): TargetFigures {
  const all = runs.map((r) => r.targets.find((t) => t.name === name)!);
  const m = (pick: (t: TargetFigures) => number) => median(all.map(pick));
  return {
    ...all[0],
    reqPerSec: m((t) => t.reqPerSec),
    reqPerSecRounds: all.flatMap((t) => t.reqPerSecRounds),
    cpuMicrosPerRequest: m((t) => t.cpuMicrosPerRequest),
    firstEventMs: m((t) => t.firstEventMs),
    p50Ms: m((t) => t.p50Ms),
    p99Ms: m((t) => t.p99Ms),
  };
}

function medianMemory(runs: BenchReport[], name: string): MemoryFigures {
  const all = runs.map((r) => r.memory.find((x) => x.name === name)!);
  return {
    ...all[0],
    rssWarmBytes: median(all.map((x) => x.rssWarmBytes)),
    rssIdleBytes: median(all.map((x) => x.rssIdleBytes)),
    streams: { ...all[0].streams, rssBytes: median(all.map((x) => x.streams.rssBytes)), opened: Math.min(...all.map((x) => x.streams.opened)) },
  };
}

function main(): void {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: node out/test/bench/medianOfRuns.js RUN.json [RUN.json ...]\n');
    process.exit(2);
  }
  const runs = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as BenchReport);
  const connections = Number(runs[0].settings.connections);
  const streams = Number(runs[0].settings.streams);
  process.stdout.write(
    `${goalTable({
      direct: medianTarget(runs, 'direct'),
      pipe: medianTarget(runs, 'naive-pipe'),
      switchyard: medianTarget(runs, 'switchyard'),
      pipeMemory: medianMemory(runs, 'naive-pipe'),
      switchyardMemory: medianMemory(runs, 'switchyard'),
      connections,
      streams,
    })}\n`,
  );
  process.stdout.write(`  medians over ${runs.length} runs (${runs.map((r) => r.when).join(', ')})\n`);
  const per = (name: string, pick: (t: TargetFigures) => number, digits = 0) => runs.map((r) => pick(r.targets.find((t) => t.name === name)!).toFixed(digits)).join(' / ');
  for (const name of runs[0].targets.map((t) => t.name)) {
    process.stdout.write(`  ${name.padEnd(12)} req/s per run ${per(name, (t) => t.reqPerSec)}; CPU µs/req ${per(name, (t) => t.cpuMicrosPerRequest)}; first event ms ${per(name, (t) => t.firstEventMs, 3)}\n`);
  }
  for (const name of runs[0].memory.map((m) => m.name)) {
    const mem = runs.map((r) => r.memory.find((m) => m.name === name)!);
    const mbs = (pick: (m: MemoryFigures) => number) => mem.map((m) => (pick(m) / 1024 / 1024).toFixed(1)).join(' / ');
    process.stdout.write(`  ${name.padEnd(12)} RSS MB per run: warm ${mbs((m) => m.rssWarmBytes)}; idle ${mbs((m) => m.rssIdleBytes)}; @${streams} ${mbs((m) => m.streams.rssBytes)}\n`);
  }
}

main();
