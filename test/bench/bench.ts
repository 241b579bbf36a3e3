// `npm run bench`: prints Switchyard's throughput, added latency, first-event time, memory and leak figures beside direct, http-proxy and nginx, then the chaos run.

import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { Child, installCleanup, killAllNow, tempDir } from './children';
import { connectGc } from './inspector';
import { leakCheck } from './leak';
import { clientPool, messageRequest } from './load';
import { BenchReport, Check, checksText, latencyTable, leakTable, mb, streamsTable, TargetFigures, writeJson } from './report';
import { Endpoint, runRounds } from './rounds';
import { idleStreams } from './streams';
import { chaosBench } from './chaos';
import { findNginx, startHttpProxy, startNginx, startSwitchyard, startUpstream } from './targets';

/** BENCH_QUICK=1 shrinks every count (for trying the bench out, not for figures). */
const QUICK = process.env.BENCH_QUICK === '1';
const scale = (n: number) => (QUICK ? Math.max(1, Math.round(n / 5)) : n);
const SETTINGS = {
  rounds: QUICK ? 2 : 5,
  concurrency: 16,
  requestsPerRound: scale(4000),
  sequentialPerRound: scale(400),
  firstEventsTotal: scale(200),
  warmupRequests: scale(3000),
  idleStreams: 1000,
  leakRequests: 10_000,
  leakAbortEvery: 10,
  timeLimitSeconds: 180,
};
const TARGETS = { addedP50Ms: 1, firstEventMs: 2, throughputRatio: 0.5, rssBytes: 150 * 1024 * 1024, heapGrowthBytes: 10 * 1024 * 1024 };
const ROOT = path.resolve(__dirname, '../../..');
const JSON_OUT = path.join(ROOT, 'test-artifacts', 'bench.json');

const say = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  · ${line}\n`);

function fdLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.stdout.trim() === 'unlimited' ? Infinity : Number.isFinite(n) ? n : NaN;
}

/** One request of each kind per target: the bench measures nothing broken. */
async function sanity(t: Endpoint, expectSwitchyardHeader: boolean): Promise<void> {
  const pool = clientPool(t.url, 1);
  try {
    const res = await pool.request(messageRequest('json'));
    const text = await res.body.text();
    if (res.statusCode !== 200 || !text.includes('"type":"message"')) throw new Error(`${t.name}: status ${res.statusCode}: ${text.slice(0, 200)}`);
    if (expectSwitchyardHeader && res.headers['x-switchyard-endpoint'] !== 'a') throw new Error(`${t.name}: no x-switchyard-endpoint header`);
    const sse = await pool.request(messageRequest('sse'));
    const events = await sse.body.text();
    if (!events.includes('message_stop')) throw new Error(`${t.name}: SSE reply incomplete: ${events.slice(0, 200)}`);
  } finally {
    await pool.destroy();
  }
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
  say(`Switchyard bench — node ${process.version}, ${cpus} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at start${QUICK ? ' — QUICK MODE, figures not meaningful' : ''}`);
  say(`layout: upstream, Switchyard (node dist/cli.js serve, default log level, stderr to a file), http-proxy and nginx each in their own child process;`);
  say(`        the load generator runs in the bench process itself (undici Pool, keep-alive, ${SETTINGS.concurrency} connections): one fewer process competing for ${cpus} cores.`);
  if (fds < SETTINGS.idleStreams * 3 + 200) say(`warning: ulimit -n is ${fds}; ${SETTINGS.idleStreams} streams need ~${SETTINGS.idleStreams * 3 + 200} fds in the proxy (raise it with ulimit -n 8192)`);

  const upstream = await startUpstream(dir);
  const switchyard = await startSwitchyard(dir, upstream.url);
  const httpProxy = await startHttpProxy(dir, upstream.url);
  const nginxBin = findNginx();
  let nginx: Child | undefined;
  if (nginxBin) nginx = await startNginx(nginxBin, dir, upstream.url);
  else say('nginx: not installed (apt-get install nginx to include it)');

  const proxies: Child[] = [switchyard, httpProxy, ...(nginx ? [nginx] : [])];
  const endpoints: Endpoint[] = [{ name: 'direct', url: upstream.url, pid: upstream.pid }, ...proxies.map((p) => ({ name: p.name, url: p.url, pid: p.pid }))];
  for (const e of endpoints) await sanity(e, e.name === 'switchyard');
  say(
    `method: ${SETTINGS.rounds} rounds, targets interleaved (order rotated each round); per round and target ${SETTINGS.requestsPerRound} small POSTs at c=${SETTINGS.concurrency} (req/s: median of rounds),`,
  );
  say(`        ${SETTINGS.sequentialPerRound} sequential POSTs (p50/p99 over all samples; "added" = proxy − direct), ${Math.ceil(SETTINGS.firstEventsTotal / SETTINGS.rounds)} sequential SSE requests (first-event: median of ${SETTINGS.firstEventsTotal}).`);
  say('');

  const figures: TargetFigures[] = await runRounds(endpoints, SETTINGS, progress);

  for (const p of proxies) {
    const f = figures.find((x) => x.name === p.name)!;
    f.streams = await idleStreams(p.url, p.pid, upstream.url, SETTINGS.idleStreams, p === switchyard);
    progress(`${p.name}: ${f.streams.opened} idle streams, RSS ${mb(f.streams.rssBytes)}`);
  }

  // Done with the proxies: stopping them drops whatever upstream connections they still hold (http-proxy keeps streams whose client left).
  await Promise.all(proxies.map((c) => c.stop()));

  // The leak check runs on its own Switchyard, started with the inspector so a full GC can be forced from here.
  const leaky = await startSwitchyard(dir, upstream.url, 'switchyard-leak', ['--inspect=127.0.0.1:0']);
  const gc = await connectGc(leaky.logFile);
  const leak = await leakCheck(leaky, gc, upstream.url, SETTINGS.concurrency, SETTINGS.leakRequests, SETTINGS.leakAbortEvery);
  gc.close();
  progress(`leak check: ${leak.run.requests} requests, ${leak.run.aborted} aborted`);
  await Promise.all([leaky, upstream].map((c) => c.stop()));

  const direct = figures[0];
  const sy = figures.find((f) => f.name === 'switchyard')!;
  const ratios: Record<string, number> = { 'switchyard/direct throughput': sy.reqPerSec / direct.reqPerSec };
  for (const other of figures.slice(2)) {
    ratios[`switchyard/${other.name} throughput`] = sy.reqPerSec / other.reqPerSec;
    ratios[`switchyard/${other.name} CPU per request`] = sy.cpuMicrosPerRequest / other.cpuMicrosPerRequest;
    ratios[`${other.name}/direct throughput`] = other.reqPerSec / direct.reqPerSec;
    ratios[`switchyard/${other.name} added p50`] = (sy.p50Ms - direct.p50Ms) / (other.p50Ms - direct.p50Ms);
    ratios[`switchyard/${other.name} RSS at ${SETTINGS.idleStreams} streams`] = sy.streams!.rssBytes / other.streams!.rssBytes;
  }
  const poolSize = Math.max(leak.before.upstreamSockets, leak.concurrency);
  const heapGrowth = leak.after.heapUsedBytes - leak.before.heapUsedBytes;
  const checks: Check[] = [
    { name: 'added p50 latency (switchyard − direct, sequential)', figure: `${(sy.p50Ms - direct.p50Ms).toFixed(3)} ms`, target: `< ${TARGETS.addedP50Ms} ms`, ok: sy.p50Ms - direct.p50Ms < TARGETS.addedP50Ms },
    { name: 'first-event overhead (switchyard − direct, median)', figure: `${(sy.firstEventMs - direct.firstEventMs).toFixed(3)} ms`, target: `< ${TARGETS.firstEventMs} ms`, ok: sy.firstEventMs - direct.firstEventMs < TARGETS.firstEventMs },
    { name: `throughput switchyard/direct at c=${SETTINGS.concurrency}`, figure: ratios['switchyard/direct throughput'].toFixed(2), target: `≥ ${TARGETS.throughputRatio}`, ok: ratios['switchyard/direct throughput'] >= TARGETS.throughputRatio },
    { name: `switchyard RSS at ${SETTINGS.idleStreams} idle streams`, figure: mb(sy.streams!.rssBytes), target: `< ${mb(TARGETS.rssBytes)}, all ${SETTINGS.idleStreams} open`, ok: sy.streams!.rssBytes < TARGETS.rssBytes && sy.streams!.opened === SETTINGS.idleStreams },
    { name: 'idle streams closed upstream when the clients left', figure: Number.isFinite(sy.streams!.closedUpstreamMs) ? `${sy.streams!.closedUpstreamMs.toFixed(0)} ms` : 'no', target: 'within 5 s', ok: Number.isFinite(sy.streams!.closedUpstreamMs) },
    { name: `open upstream sockets after ${leak.run.requests} requests (${leak.run.aborted} aborted)`, figure: `${leak.before.upstreamSockets} → ${leak.after.upstreamSockets}`, target: `≤ pool size ${poolSize}`, ok: leak.after.upstreamSockets <= poolSize && leak.after.inFlight === 0 },
    { name: 'open fds after the leak run', figure: `${leak.before.openFds} → ${leak.after.openFds}`, target: '≤ before + 4', ok: leak.after.openFds <= leak.before.openFds + 4 },
    { name: 'heapUsed growth after the leak run (full GC both times)', figure: `${heapGrowth >= 0 ? '+' : ''}${mb(heapGrowth)}`, target: `< +${mb(TARGETS.heapGrowthBytes)}`, ok: heapGrowth < TARGETS.heapGrowthBytes },
    { name: 'no request failed during measurement', figure: String(figures.reduce((n, f) => n + f.errors, 0) + leak.run.errors + leak.warmup.errors), target: '0 errors', ok: figures.every((f) => f.errors === 0) && leak.run.errors === 0 },
  ];

  say(latencyTable(figures, SETTINGS.concurrency));
  say(`  req/s: median of rounds at c=${SETTINGS.concurrency}; CPU µs/req: the target's own process under that load (direct: the upstream's) — steadier than req/s on a shared machine;`);
  say(`  p50/p99: sequential requests (no queueing); p50@c/p99@c: the same under the throughput load; first-event: request start → first "event:" line.`);
  say('');
  say(`memory with ${SETTINGS.idleStreams} concurrent idle SSE streams (VmRSS from /proc; "closed upstream" = how soon the upstream saw every stream end after the clients hung up):`);
  say(streamsTable(figures, SETTINGS.idleStreams));
  if (sy.streams?.proxyStats) {
    const ps = sy.streams.proxyStats;
    say(`  switchyard's own stats at that moment: rss ${mb(ps.rssBytes)}, heapUsed ${mb(ps.heapUsedBytes)}, upstreamSockets ${ps.upstreamSockets}, inFlight ${ps.inFlight};`);
    say(`  upstreamSockets 1 s after all ${SETTINGS.idleStreams} streams closed: ${sy.streams.proxySocketsAfterClose} (idle keep-alive sockets; a value near ${SETTINGS.idleStreams} means each abort opened a replacement connection)`);
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
  say(`took ${seconds.toFixed(0)} s; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; figures in ${path.relative(process.cwd(), JSON_OUT) || JSON_OUT}`);

  const report: BenchReport = {
    when: new Date().toISOString(),
    environment: { node: process.version, cpus, loadAverageAtEnd: os.loadavg(), fdLimit: fds, quick: QUICK, nginx: nginxBin ?? null, seconds, loadGenerator: 'in the bench process (undici Pool)' },
    settings: { ...SETTINGS },
    targets: figures,
    leak,
    checks,
    ratios,
  };
  writeJson(JSON_OUT, report);
  clearTimeout(limit);
  if (!QUICK) await chaosBench(say, progress); // its own figures (npm run bench:chaos alone); outside the time limit above
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  killAllNow();
  process.exit(1);
});
