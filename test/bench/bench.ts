// `npm run bench`: prints Switchyard's req/s, added latency, first-event time, memory and leak figures beside direct, a naive Node pipe, a bare node:http + undici relay, http-proxy and nginx, then the chaos run.

import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Child, idleMachineBusy, installCleanup, killAllNow, tempDir } from './children';
import { GOALS, goalChecks, goalTable } from './goalTable';
import { connectGc } from './inspector';
import { leakCheck } from './leak';
import { chooseGenerator } from './loadGenerator';
import { MemorySubject, memoryPhase } from './memoryPhase';
import { profileMain } from './profile';
import { BenchReport, Check, checksText, cpuTable, latencyTable, leakTable, mb, streamsTable, TargetFigures, writeJson } from './report';
import { Endpoint, runRounds } from './rounds';
import { sanity } from './sanity';
import { chaosBench } from './chaos';
import { findNginx, startBareRelay, startHttpProxy, startNaivePipe, startNginx, startSwitchyard, startUpstream } from './targets';

/** BENCH_QUICK=1 shrinks every count (for trying the bench out, not for figures). */
const QUICK = process.env.BENCH_QUICK === '1';
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;
const scale = (n: number) => (QUICK ? Math.max(1, Math.round(n / 5)) : n);
const SETTINGS = {
  rounds: QUICK ? 2 : 5,
  connections: 50,
  burstSeconds: QUICK ? 1 : 2,
  warmupSeconds: 1,
  sequentialPerRound: scale(400),
  firstEventsTotal: QUICK ? 60 : 400,
  streams: 500,
  /** Long enough for V8's memory reducer (its idle GC came ~23 s after the last request here). */
  idleSeconds: QUICK ? 5 : 30,
  leakConcurrency: 16,
  leakRequests: 10_000,
  leakAbortEvery: 10,
  timeLimitSeconds: 180,
};
const TARGETS = { addedP50Ms: 1, throughputRatio: 0.5, heapGrowthBytes: 10 * 1024 * 1024 };
const ROOT = path.resolve(__dirname, '../../..');
const JSON_OUT = path.join(ROOT, 'test-artifacts', 'bench.json');

const say = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  · ${line}\n`);

function fdLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.stdout.trim() === 'unlimited' ? Infinity : Number.isFinite(n) ? n : NaN;
}

async function main(): Promise<void> {
  installCleanup();
  const limit = setTimeout(() => {
    process.stderr.write(`bench: over the ${SETTINGS.timeLimitSeconds} s time limit; stopping\n`);
    killAllNow();
    process.exit(1);
  }, SETTINGS.timeLimitSeconds * 1000);
  limit.unref();
  const dir = tempDir('switchyard-bench-');
  const started = performance.now();
  const fds = fdLimit();
  const cpus = os.cpus().length;
  const generator = chooseGenerator(dir);
  say(`Switchyard bench — node ${process.version}, ${cpus} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at start${QUICK ? ' — QUICK MODE, figures not meaningful' : ''}`);
  say(`layout: upstream, Switchyard (node dist/cli.js serve, default log level, stderr to a file), the naive Node pipe, a bare relay (node:http + undici's dispatch, none of Switchyard's work: the design's floor), http-proxy and nginx each in their own child process;`);
  say(`        req/s load generator: ${generator.description}; latency, first-event and stream clients: undici in the bench process.`);
  say(`        All of them share the ${cpus} cores: the CPU table below shows who was saturated.`);
  const busyBefore = await idleMachineBusy();
  say(`        Before starting, other processes kept ${Math.round(busyBefore * 100)}% of one core busy${busyBefore > 0.15 ? ' — the machine is not quiet; expect noisy figures' : ''}.`);
  if (fds < SETTINGS.streams * 3 + 200) say(`warning: ulimit -n is ${fds}; ${SETTINGS.streams} streams need ~${SETTINGS.streams * 3 + 200} fds in the proxy (raise it with ulimit -n 8192)`);

  const upstream = await startUpstream(dir);
  const nginxBin = findNginx();
  if (!nginxBin) say('nginx: not installed (apt-get install nginx-light to include it)');
  const starters: MemorySubject[] = [
    { name: 'naive-pipe', isSwitchyard: false, start: () => startNaivePipe(dir, upstream.url) },
    { name: 'switchyard', isSwitchyard: true, start: () => startSwitchyard(dir, upstream.url) },
    { name: 'http-proxy', isSwitchyard: false, start: () => startHttpProxy(dir, upstream.url) },
    // What node:http + undici cost with none of Switchyard's work: how far the design itself can go.
    { name: 'bare-relay', isSwitchyard: false, start: () => startBareRelay(dir, upstream.url) },
    ...(nginxBin ? [{ name: 'nginx', isSwitchyard: false, start: () => startNginx(nginxBin, dir, upstream.url) }] : []),
    // BENCH_BASELINE_CLI=another/cli.js measures an earlier build beside this one, in the same rounds (a before/after of a change).
    ...(BASELINE_CLI ? [{ name: 'switchyard-before', isSwitchyard: true, start: () => startSwitchyard(dir, upstream.url, { name: 'switchyard-before', cli: BASELINE_CLI }) }] : []),
  ];

  // Memory first, on fresh processes: the req/s load would grow the heaps it measures.
  const memory = await memoryPhase(starters, upstream.url, SETTINGS.streams, SETTINGS.idleSeconds, progress);

  const proxies: Child[] = [];
  for (const s of starters) proxies.push(await s.start());
  const endpoints: Endpoint[] = [{ name: 'direct', url: upstream.url, pid: upstream.pid }, ...proxies.map((p) => ({ name: p.name, url: p.url, pid: p.pid }))];
  for (const e of endpoints) await sanity(e.name, e.url, e.name === 'switchyard');
  say(`method: ${SETTINGS.rounds} rounds, targets interleaved (order rotated each round); per round and target a ${SETTINGS.burstSeconds} s burst of small POSTs over ${SETTINGS.connections} connections (req/s: median of rounds),`);
  say(`        ${SETTINGS.sequentialPerRound} sequential POSTs (p50/p99 over all samples; "added" = proxy − direct), ${Math.ceil(SETTINGS.firstEventsTotal / SETTINGS.rounds)} sequential SSE requests (first-event: median of ${SETTINGS.firstEventsTotal}).`);
  say(`        Memory: fresh processes; RSS after a 500-request warm-up, then after ${SETTINGS.idleSeconds} s idle (V8's idle GC has run), then with ${SETTINGS.streams} streams held open by an upstream that sends one event and stays open (one proxy at a time).`);
  say('');

  const figures: TargetFigures[] = await runRounds(endpoints, upstream.pid, generator, SETTINGS, progress);
  await generator.close();

  // Done with the proxies: stopping them drops whatever upstream connections they still hold.
  await Promise.all(proxies.map((c) => c.stop()));

  // The leak check runs on its own Switchyard, started with the inspector so a full GC can be forced from here.
  const leaky = await startSwitchyard(dir, upstream.url, { name: 'switchyard-leak', nodeFlags: ['--inspect=127.0.0.1:0'] });
  const gc = await connectGc(leaky.logFile);
  const leak = await leakCheck(leaky, gc, upstream.url, SETTINGS.leakConcurrency, SETTINGS.leakRequests, SETTINGS.leakAbortEvery);
  gc.close();
  progress(`leak check: ${leak.run.requests} requests, ${leak.run.aborted} aborted`);
  await Promise.all([leaky, upstream].map((c) => c.stop()));

  const byName = (name: string) => figures.find((f) => f.name === name)!;
  const memoryOf = (name: string) => memory.find((m) => m.name === name)!;
  const direct = byName('direct');
  const sy = byName('switchyard');
  const syMemory = memoryOf('switchyard');
  const goals = { direct, pipe: byName('naive-pipe'), switchyard: sy, pipeMemory: memoryOf('naive-pipe'), switchyardMemory: syMemory, connections: SETTINGS.connections, streams: SETTINGS.streams };
  const ratios: Record<string, number> = { 'switchyard/direct throughput': sy.reqPerSec / direct.reqPerSec };
  for (const other of figures.filter((f) => f !== direct && f !== sy)) {
    const m = memoryOf(other.name);
    ratios[`switchyard/${other.name} throughput`] = sy.reqPerSec / other.reqPerSec;
    ratios[`switchyard/${other.name} CPU per request`] = sy.cpuMicrosPerRequest / other.cpuMicrosPerRequest;
    ratios[`${other.name}/direct throughput`] = other.reqPerSec / direct.reqPerSec;
    ratios[`switchyard/${other.name} added p50`] = (sy.p50Ms - direct.p50Ms) / (other.p50Ms - direct.p50Ms);
    ratios[`switchyard/${other.name} RSS at ${SETTINGS.streams} streams`] = syMemory.streams.rssBytes / m.streams.rssBytes;
  }
  const poolSize = Math.max(leak.before.upstreamSockets, leak.concurrency);
  const heapGrowth = leak.after.heapUsedBytes - leak.before.heapUsedBytes;
  const sys = syMemory.streams;
  const checks: Check[] = [
    ...goalChecks(goals),
    { name: 'added p50 latency (switchyard − direct, sequential)', figure: `${(sy.p50Ms - direct.p50Ms).toFixed(3)} ms`, target: `< ${TARGETS.addedP50Ms} ms`, ok: sy.p50Ms - direct.p50Ms < TARGETS.addedP50Ms },
    { name: `throughput switchyard/direct at ${SETTINGS.connections} connections`, figure: ratios['switchyard/direct throughput'].toFixed(2), target: `≥ ${TARGETS.throughputRatio}`, ok: ratios['switchyard/direct throughput'] >= TARGETS.throughputRatio },
    { name: 'idle streams closed upstream when the clients left', figure: Number.isFinite(sys.closedUpstreamMs) ? `${sys.closedUpstreamMs.toFixed(0)} ms` : 'no', target: 'within 5 s', ok: Number.isFinite(sys.closedUpstreamMs) },
    { name: `open upstream sockets after ${leak.run.requests} requests (${leak.run.aborted} aborted)`, figure: `${leak.before.upstreamSockets} → ${leak.after.upstreamSockets}`, target: `≤ pool size ${poolSize}`, ok: leak.after.upstreamSockets <= poolSize && leak.after.inFlight === 0 },
    { name: 'open fds after the leak run', figure: `${leak.before.openFds} → ${leak.after.openFds}`, target: '≤ before + 4', ok: leak.after.openFds <= leak.before.openFds + 4 },
    { name: 'heapUsed growth after the leak run (full GC both times)', figure: `${heapGrowth >= 0 ? '+' : ''}${mb(heapGrowth)}`, target: `< +${mb(TARGETS.heapGrowthBytes)}`, ok: heapGrowth < TARGETS.heapGrowthBytes },
    {
      name: 'no request failed during measurement',
      figure: String(figures.reduce((n, f) => n + f.errors, 0) + memory.reduce((n, m) => n + m.streams.errors, 0) + leak.run.errors + leak.warmup.errors),
      target: '0 errors',
      ok: figures.every((f) => f.errors === 0) && memory.every((m) => m.streams.errors === 0) && leak.run.errors === 0,
    },
  ];

  say(goalTable(goals));
  say(`  req/s: median of ${SETTINGS.rounds} interleaved rounds; first SSE event: median of ${SETTINGS.firstEventsTotal} sequential streaming POSTs, request sent → first event's bytes (direct itself: ${direct.firstEventMs.toFixed(3)} ms);`);
  say(`  RSS idle: VmRSS from /proc of a fresh process after a 500-request warm-up and ${SETTINGS.idleSeconds} s idle (right after the warm-up: pipe ${mb(goals.pipeMemory.rssWarmBytes)}, Switchyard ${mb(syMemory.rssWarmBytes)});`);
  say(`  streams: ${SETTINGS.streams} concurrent, each sent one event by the upstream and then held open, measured from that idle state. Goals: ≥ ${GOALS.reqPerSecOverPipe}× the pipe, ≤ +${GOALS.firstEventAddedMs} ms, ≤ ${mb(GOALS.rssIdleBytes)}, ≤ ${mb(GOALS.rssStreamsBytes)}.`);
  say('');
  say(`CPU during the req/s bursts, as a share of one core (the machine has ${cpus}; a Node process's JavaScript runs on one, so ~100% means that process was the limit):`);
  say(cpuTable(figures, cpus));
  say(`  generator: ${generator.description}; upstream and proxy: /proc/<pid>/stat before and after each burst; softirq: /proc/stat's irq + softirq time (on loopback mostly the kernel's TCP work for these connections, charged to no process); unattributed: the rest of the machine's busy time (other processes; at high packet rates also tick-accounting slack).`);
  say('');
  say(latencyTable(figures, SETTINGS.connections));
  say(`  req/s: median of rounds over ${SETTINGS.connections} connections; CPU µs/req: the target's own process under that load (direct: the upstream's) — steadier than req/s on a shared machine;`);
  say(`  p50/p99: sequential requests (no queueing); p50@c/p99@c: the generator's percentiles under the req/s load (median of rounds); first-event: request start → first "event:" line.`);
  say('');
  say(`memory of fresh processes (VmRSS from /proc): warm = after the warm-up, idle = ${SETTINGS.idleSeconds} s later, @${SETTINGS.streams} = holding that many idle SSE streams, one proxy at a time;`);
  say(`  per stream = (RSS @${SETTINGS.streams} − RSS just before) ÷ ${SETTINGS.streams}; "closed upstream" = how soon the upstream saw every stream end after the clients hung up:`);
  say(streamsTable(memory, SETTINGS.streams));
  if (sys.proxyStats) {
    const ps = sys.proxyStats;
    say(`  switchyard's own stats at that moment: rss ${mb(ps.rssBytes)}, heapUsed ${mb(ps.heapUsedBytes)}, upstreamSockets ${ps.upstreamSockets}, inFlight ${ps.inFlight};`);
    say(`  upstreamSockets 1 s after all ${SETTINGS.streams} streams closed: ${sys.proxySocketsAfterClose} (idle keep-alive sockets; a value near ${SETTINGS.streams} means each abort opened a replacement connection)`);
  }
  say('');
  say(`leak check (separate Switchyard started with --inspect so a full GC is forced before each reading; ${leak.run.requests} requests at c=${leak.concurrency}, every ${SETTINGS.leakAbortEvery}th a slow stream the client aborts after its first event, the rest alternating JSON and SSE; after a ${leak.warmup.requests}-request warm-up):`);
  say(leakTable(leak));
  say('');
  say('ratios:');
  for (const [k, v] of Object.entries(ratios)) say(`  ${k.padEnd(44)} ${Number.isFinite(v) ? v.toFixed(2) : '—'}`);
  say('');
  say('targets:');
  say(checksText(checks));
  const seconds = (performance.now() - started) / 1000;
  say('');
  say(`took ${seconds.toFixed(0)} s; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; figures in ${path.relative(process.cwd(), JSON_OUT) || JSON_OUT}${QUICK ? '' : ' (and bench-runs/; medians of several: node out/test/bench/medianOfRuns.js test-artifacts/bench-runs/*.json)'}`);

  const report: BenchReport = {
    when: new Date().toISOString(),
    environment: { node: process.version, cpus, busyBeforeStart: busyBefore, loadAverageAtEnd: os.loadavg(), fdLimit: fds, quick: QUICK, nginx: nginxBin ?? null, seconds, loadGenerator: generator.description },
    settings: { ...SETTINGS },
    targets: figures,
    memory,
    leak,
    checks,
    ratios,
  };
  writeJson(JSON_OUT, report);
  // Each full run also kept by date, for medianOfRuns.js.
  if (!QUICK) writeJson(path.join(path.dirname(JSON_OUT), 'bench-runs', `${report.when.replace(/[:.]/g, '-')}.json`), report);
  clearTimeout(limit);
  if (!QUICK && process.env.BENCH_CHAOS !== 'off') await chaosBench(say, progress); // its own figures (npm run bench:chaos alone); outside the time limit above
  process.exit(0);
}

(process.env.BENCH_PROFILE === '1' ? profileMain() : main()).catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  killAllNow();
  process.exit(1);
});
