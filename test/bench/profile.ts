// `BENCH_PROFILE=1 npm run bench`: where Switchyard's time and memory go, beside the naive Node pipe (CPU profiles, heap breakdowns, heap snapshot diffs, timed suspects).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Child, cpuMicros, idleMachineBusy, installCleanup, killAllNow, memoryMap, MemoryMap, rssBytes, spawnChild, tempDir } from './children';
import { areaOf, formatSummary, ProfileSummary, readProfile, summarise } from './cpuProfileSummary';
import { diffTallies, formatTallies, tallyByConstructor, totalBytes } from './heapSnapshotSummary';
import { connectInspector } from './inspector';
import { chooseGenerator, LoadGenerator } from './loadGenerator';
import { clientPool, firstEvents } from './load';
import { formatBreakdowns, memoryBreakdown, MemoryBreakdown } from './memoryBreakdown';
import { settledRss, shortWarmup } from './memoryPhase';
import { sanity } from './sanity';
import { asciiOnly, buildCli } from './experimentalBuild';
import { median } from './stats';
import { holdIdleStreams } from './streams';
import { formatSuspects, timeSuspects } from './suspects';
import { startNaivePipe, startSwitchyard, startUpstream } from './targets';

const QUICK = process.env.BENCH_QUICK === '1';
const SETTINGS = {
  profileSeconds: QUICK ? 3 : 8,
  profileIntervalMicros: 500,
  connections: 50,
  streams: 500,
  variantRounds: QUICK ? 1 : 5,
  variantBurstSeconds: 2,
  idleSeconds: QUICK ? 5 : 30,
  bareRuns: 3,
  sseRequests: QUICK ? 100 : 500,
  timeLimitSeconds: 300,
};
const ROOT = path.resolve(__dirname, '../../..');
const OUT = path.join(ROOT, 'test-artifacts', 'profile');
const MB = 1024 * 1024;

const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};
const progress = (line: string) => process.stderr.write(`  · ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => `${(b / MB).toFixed(1)} MB`;

interface Subject {
  name: string;
  isSwitchyard: boolean;
  start(nodeFlags: string[], name?: string): Promise<Child>;
}

async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} was not written`);
    await sleep(50);
  }
  // Written in one go at exit, but give the writer a moment to finish.
  await sleep(200);
}

interface ProfiledRun {
  name: string;
  reqPerSec: number;
  cpuMicrosPerRequest: number;
  requests: number;
  summary: ProfileSummary;
}

/** One process under --cpu-prof: a warm-up, then one long burst; SIGTERM makes it write the profile. */
async function profileUnderLoad(s: Subject, generator: LoadGenerator): Promise<ProfiledRun> {
  const file = path.join(OUT, `${s.name}.cpuprofile`);
  fs.rmSync(file, { force: true });
  const child = await s.start(['--cpu-prof', `--cpu-prof-dir=${OUT}`, `--cpu-prof-name=${s.name}.cpuprofile`, `--cpu-prof-interval=${SETTINGS.profileIntervalMicros}`]);
  await sanity(s.name, child.url, s.isSwitchyard);
  await generator.burst(child.url, 1, SETTINGS.connections);
  const cpu0 = cpuMicros(child.pid);
  const r = await generator.burst(child.url, SETTINGS.profileSeconds, SETTINGS.connections);
  const cpu = cpuMicros(child.pid) - cpu0;
  await child.stop();
  await waitForFile(file);
  const summary = summarise(readProfile(file));
  fs.writeFileSync(path.join(OUT, `${s.name}.cpu.txt`), `${formatSummary(s.name, summary, 40)}\n`);
  return { name: s.name, reqPerSec: r.reqPerSec, cpuMicrosPerRequest: cpu / r.requests, requests: r.requests, summary };
}

/** A profile entry's time as CPU µs per request: its share of the sampled busy time × the process's measured CPU per request. */
function cpuPerRequest(r: ProfiledRun, ms: number): number {
  return (ms / r.summary.busyMs) * r.cpuMicrosPerRequest;
}

/** The areas of two profiles side by side, in CPU µs per request. */
function areaComparison(runs: ProfiledRun[]): string {
  const areas = [...new Set(runs.flatMap((r) => r.summary.byArea.map((a) => a.key)))].filter((a) => a !== 'idle');
  const self = (r: ProfiledRun, area: string) => cpuPerRequest(r, r.summary.byArea.find((a) => a.key === area)?.selfMs ?? 0);
  areas.sort((a, b) => self(runs[0], b) - self(runs[0], a));
  const head = `  ${'self CPU µs per request, by area'.padEnd(40)}${runs.map((r) => r.name.padStart(14)).join('')}${'difference'.padStart(12)}`;
  const rows = areas.map((a) => `  ${a.padEnd(40)}${runs.map((r) => self(r, a).toFixed(1).padStart(14)).join('')}${(self(runs[0], a) - self(runs[1], a)).toFixed(1).padStart(12)}`);
  const all = `  ${'all'.padEnd(40)}${runs.map((r) => r.cpuMicrosPerRequest.toFixed(1).padStart(14)).join('')}${(runs[0].cpuMicrosPerRequest - runs[1].cpuMicrosPerRequest).toFixed(1).padStart(12)}`;
  return [head, ...rows, all].join('\n');
}

/** Top files of one profile in CPU µs per request, those whose area passes `keep`. */
function filesPerRequest(r: ProfiledRun, keep: (area: string) => boolean, top: number): string {
  return r.summary.byFile
    .filter((f) => f.key !== '(idle)' && keep(areaOf(f.key)))
    .slice(0, top)
    .map((f) => `  ${cpuPerRequest(r, f.selfMs).toFixed(1).padStart(7)} µs self  ${cpuPerRequest(r, f.totalMs).toFixed(1).padStart(7)} µs total  ${f.key}`)
    .join('\n');
}

/** Top functions of one profile by self time in CPU µs per request, those whose file's area passes `keep`. */
function functionsPerRequest(r: ProfiledRun, keep: (area: string) => boolean, top: number): string {
  return r.summary.byFunction
    .filter((f) => f.file !== '(idle)' && keep(areaOf(f.file ?? '')))
    .slice(0, top)
    .map((f) => `  ${cpuPerRequest(r, f.selfMs).toFixed(2).padStart(7)} µs self  ${cpuPerRequest(r, f.totalMs).toFixed(1).padStart(7)} µs total  ${f.key}`)
    .join('\n');
}

interface VariantResult {
  name: string;
  reqPerSec: number[];
  cpuMicrosPerRequest: number[];
  /** Listening, no request yet. */
  rssFreshBytes: number;
  rssWarmBytes: number;
  /** After sitting idle long enough for V8's idle GC. */
  rssIdleBytes: number;
  rssAfterLoadBytes: number;
}

/** Variants run interleaved: the same bursts, so their differences are measured gains (or losses). */
async function compareVariants(variants: { name: string; start: () => Promise<Child>; isSwitchyard: boolean }[], generator: LoadGenerator): Promise<VariantResult[]> {
  const children: Child[] = [];
  const results: VariantResult[] = [];
  try {
    for (const v of variants) {
      const child = await v.start();
      children.push(child);
      const rssFreshBytes = await settledRss(child.pid);
      await sanity(v.name, child.url, v.isSwitchyard);
      await shortWarmup(child.url);
      results.push({ name: v.name, reqPerSec: [], cpuMicrosPerRequest: [], rssFreshBytes, rssWarmBytes: await settledRss(child.pid), rssIdleBytes: NaN, rssAfterLoadBytes: NaN });
    }
    await sleep(SETTINGS.idleSeconds * 1000);
    for (let k = 0; k < children.length; k++) results[k].rssIdleBytes = rssBytes(children[k].pid);
    for (let round = 0; round < SETTINGS.variantRounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const k = (i + round) % variants.length;
        const child = children[k];
        const cpu0 = cpuMicros(child.pid);
        const r = await generator.burst(child.url, SETTINGS.variantBurstSeconds, SETTINGS.connections);
        results[k].reqPerSec.push(r.reqPerSec);
        results[k].cpuMicrosPerRequest.push((cpuMicros(child.pid) - cpu0) / r.requests);
      }
    }
    for (let k = 0; k < children.length; k++) results[k].rssAfterLoadBytes = await settledRss(children[k].pid);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
  return results;
}

function formatVariants(rows: VariantResult[]): string {
  const base = rows[0];
  const head = `  ${'variant'.padEnd(62)}${'req/s'.padStart(8)}${'vs first'.padStart(10)}${'CPU µs/req'.padStart(12)}${'RSS fresh'.padStart(11)}${'RSS warm'.padStart(11)}${`idle ${SETTINGS.idleSeconds} s`.padStart(11)}${'after load'.padStart(12)}  CPU µs/req by round`;
  return [
    head,
    ...rows.map((r) => {
      const rps = median(r.reqPerSec);
      return `  ${r.name.padEnd(62)}${rps.toFixed(0).padStart(8)}${`${((rps / median(base.reqPerSec)) * 100 - 100).toFixed(1)}%`.padStart(10)}${median(r.cpuMicrosPerRequest).toFixed(0).padStart(12)}${mb(r.rssFreshBytes).padStart(11)}${mb(r.rssWarmBytes).padStart(11)}${mb(r.rssIdleBytes).padStart(11)}${mb(r.rssAfterLoadBytes).padStart(12)}  ${r.cpuMicrosPerRequest.map((c) => c.toFixed(0)).join(' ')}`;
    }),
  ].join('\n');
}

/** `node -e 'setInterval(()=>{},1e3)'`: what any Node process costs here. */
function startBareNode(dir: string, nodeFlags: string[] = [], name = 'bare-node'): Promise<Child> {
  return spawnChild({ name, command: process.execPath, args: [...nodeFlags, '-e', 'setInterval(()=>{},1e3)'], dir, url: '', waitReady: () => sleep(100).then(() => undefined) });
}

/** Median settled RSS (and its map) of `runs` fresh processes that get no traffic. */
async function idleRss(start: () => Promise<Child>, runs: number): Promise<MemoryMap> {
  const maps: MemoryMap[] = [];
  for (let i = 0; i < runs; i++) {
    const child = await start();
    await settledRss(child.pid);
    maps.push(memoryMap(child.pid));
    await child.stop();
  }
  maps.sort((a, b) => a.rssBytes - b.rssBytes);
  return maps[maps.length >> 1];
}

/** Memory of one process with the inspector: fresh, after a warm-up, with the streams held (each after full GCs, and RSS as it stands). */
async function breakdownOf(s: Subject): Promise<{ fresh: MemoryBreakdown; warmAsIs: MemoryBreakdown; warm: MemoryBreakdown; streams: MemoryBreakdown; opened: number }> {
  const child = await s.start(['--inspect=127.0.0.1:0'], `${s.name}-inspected`);
  const session = await connectInspector(child.logFile);
  try {
    await settledRss(child.pid);
    const fresh = await memoryBreakdown(session, child.pid, true);
    await sanity(s.name, child.url, s.isSwitchyard);
    await shortWarmup(child.url);
    await settledRss(child.pid);
    const warmAsIs = await memoryBreakdown(session, child.pid, false);
    const warm = await memoryBreakdown(session, child.pid, true);
    const held = await holdIdleStreams(child.url, SETTINGS.streams);
    await sleep(300);
    const streams = await memoryBreakdown(session, child.pid, true);
    await held.close();
    return { fresh, warmAsIs, warm, streams, opened: held.opened };
  } finally {
    session.close();
    await child.stop();
  }
}

/** Heap snapshots of one process after a warm-up and with the streams held, tallied by constructor. */
async function snapshotsOf(s: Subject) {
  const child = await s.start(['--inspect=127.0.0.1:0'], `${s.name}-snapshots`);
  const session = await connectInspector(child.logFile);
  try {
    await sanity(s.name, child.url, s.isSwitchyard);
    await shortWarmup(child.url);
    const warmText = await session.heapSnapshot();
    fs.writeFileSync(path.join(OUT, `${s.name}-warm.heapsnapshot`), warmText);
    const warm = tallyByConstructor(warmText);
    const held = await holdIdleStreams(child.url, SETTINGS.streams);
    await sleep(300);
    const streamsText = await session.heapSnapshot();
    fs.writeFileSync(path.join(OUT, `${s.name}-${SETTINGS.streams}-streams.heapsnapshot`), streamsText);
    const streams = tallyByConstructor(streamsText);
    await held.close();
    return { warm, streams, opened: held.opened };
  } finally {
    session.close();
    await child.stop();
  }
}

interface SseCost {
  name: string;
  firstEventMs: number;
  cpuMicrosPerRequest: number;
}

/** Sequential streaming requests, as the first-event figure measures them: their median first event and the proxy's CPU per request. */
async function sseCost(s: Subject, requests: number): Promise<SseCost> {
  const child = await s.start([], `${s.name}-sse`);
  const pool = clientPool(child.url, 1);
  try {
    await sanity(s.name, child.url, s.isSwitchyard);
    await shortWarmup(child.url);
    await firstEvents(pool, 100);
    const cpu0 = cpuMicros(child.pid);
    const r = await firstEvents(pool, requests);
    return { name: s.name, firstEventMs: median(r.samples), cpuMicrosPerRequest: (cpuMicros(child.pid) - cpu0) / requests };
  } finally {
    await pool.destroy();
    await child.stop();
  }
}

async function bareSnapshot(dir: string) {
  const child = await startBareNode(dir, ['--inspect=127.0.0.1:0'], 'bare-node-snapshot');
  const session = await connectInspector(child.logFile);
  try {
    return tallyByConstructor(await session.heapSnapshot());
  } finally {
    session.close();
    await child.stop();
  }
}

export async function profileMain(): Promise<void> {
  installCleanup();
  const limit = setTimeout(() => {
    process.stderr.write(`bench profile: over the ${SETTINGS.timeLimitSeconds} s time limit; stopping\n`);
    killAllNow();
    process.exit(1);
  }, SETTINGS.timeLimitSeconds * 1000);
  limit.unref();
  const started = performance.now();
  fs.mkdirSync(OUT, { recursive: true });
  const dir = tempDir('switchyard-profile-');
  const generator = chooseGenerator(dir);
  const upstream = await startUpstream(dir);
  const switchyard: Subject = { name: 'switchyard', isSwitchyard: true, start: (flags, name) => startSwitchyard(dir, upstream.url, { name, nodeFlags: flags }) };
  const pipe: Subject = { name: 'naive-pipe', isSwitchyard: false, start: (flags, name) => startNaivePipe(dir, upstream.url, name ?? 'naive-pipe', flags) };

  say(`Switchyard profile — node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at start${QUICK ? ' — QUICK MODE' : ''}`);
  const busyBefore = await idleMachineBusy();
  say(`before starting, other processes kept ${Math.round(busyBefore * 100)}% of one core busy${busyBefore > 0.15 ? ' — the machine is not quiet; expect noisy figures' : ''}`);
  say(`load: ${generator.description}, ${SETTINGS.connections} connections, small non-streaming POSTs; artifacts in ${path.relative(process.cwd(), OUT) || OUT}`);
  say('');

  // 1. CPU profiles under the req/s load.
  const runs: ProfiledRun[] = [];
  for (const s of [switchyard, pipe]) {
    runs.push(await profileUnderLoad(s, generator));
    progress(`${s.name}: profiled ${runs[runs.length - 1].requests} requests`);
  }
  say(`== CPU: --cpu-prof (${SETTINGS.profileIntervalMicros} µs sampling) during a ${SETTINGS.profileSeconds} s burst after a 1 s warm-up (start-up included in the profile) ==`);
  for (const r of runs) say(`  ${r.name}: ${r.reqPerSec.toFixed(0)} req/s under the profiler, ${r.cpuMicrosPerRequest.toFixed(0)} µs CPU per request (/proc, all threads)`);
  say('');
  say(areaComparison(runs));
  say('');
  say("switchyard, Switchyard's own files (CPU µs per request; total = with everything they call):");
  say(filesPerRequest(runs[0], (a) => a.startsWith('switchyard'), 15));
  say('');
  say("switchyard, Switchyard's own functions by self time (CPU µs per request):");
  say(functionsPerRequest(runs[0], (a) => a.startsWith('switchyard'), 25));
  say('');
  say('switchyard, undici and Node files (CPU µs per request):');
  say(filesPerRequest(runs[0], (a) => !a.startsWith('switchyard'), 20));
  say('');
  say('naive-pipe, files (CPU µs per request):');
  say(filesPerRequest(runs[1], () => true, 20));
  say('');
  say(`The full summaries (share of sampled busy time; the profiler samples wall time, so on a busy machine a descheduled thread still counts) follow, and are in ${path.relative(process.cwd(), OUT)}/<name>.cpu.txt:`);
  say('');
  for (const r of runs) {
    say(formatSummary(r.name, r.summary, 30));
    say('');
  }

  // 2. Interleaved variants: what switches and a slimmer bundle (no source change) gain.
  const production = await buildCli(dir, { minify: true, dispatchersOnly: false });
  const slim = await buildCli(dir, { minify: true, dispatchersOnly: true, asciiSource: true });
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  const variants = await compareVariants(
    [
      { name: 'switchyard (as the bench runs it: log level info)', isSwitchyard: true, start: () => startSwitchyard(dir, upstream.url, { name: 'v-default' }) },
      { name: 'switchyard --log-level warn (no per-request line)', isSwitchyard: true, start: () => startSwitchyard(dir, upstream.url, { name: 'v-warn', cliArgs: ['--log-level', 'warn'] }) },
      { name: 'switchyard under node --max-semi-space-size=2', isSwitchyard: true, start: () => startSwitchyard(dir, upstream.url, { name: 'v-semi2', nodeFlags: ['--max-semi-space-size=2'] }) },
      { name: `switchyard minified like --production (${kb(production.bytes)})`, isSwitchyard: true, start: () => startSwitchyard(dir, upstream.url, { name: 'v-min', cli: production.cli }) },
      { name: `  … + undici's dispatchers only + ASCII source (${kb(slim.bytes)})`, isSwitchyard: true, start: () => startSwitchyard(dir, upstream.url, { name: 'v-slim', cli: slim.cli }) },
      { name: 'naive-pipe', isSwitchyard: false, start: () => startNaivePipe(dir, upstream.url, 'v-pipe') },
    ],
    generator,
  );
  say(`== variants, interleaved (${SETTINGS.variantRounds} rounds of ${SETTINGS.variantBurstSeconds} s bursts; medians; RSS fresh = listening, no request; warm = after the 500-request warm-up; idle = ${SETTINGS.idleSeconds} s later; after load = after all bursts (settled 1 s); no forced GC) ==`);
  say(formatVariants(variants));
  const devCli = path.join(ROOT, 'dist', 'cli.js');
  say(`  dist/cli.js (what the bench runs: node esbuild.js, unminified, source map) is ${kb(fs.statSync(devCli).size)}${asciiOnly(devCli) ? '' : ', and not pure ASCII (non-ASCII bytes in bundled comments), so V8 holds its source as a two-byte string'}; the minified one is ${production.asciiOnly ? 'pure ASCII' : 'not pure ASCII'}.`);
  say('');

  // 3. What a process costs before any request.
  progress('idle processes');
  const bare = await idleRss(() => startBareNode(dir), SETTINGS.bareRuns);
  const bareInspected = await idleRss(() => startBareNode(dir, ['--inspect=127.0.0.1:0'], 'bare-node-inspect'), SETTINGS.bareRuns);
  const pipeIdle = await idleRss(() => pipe.start([], 'pipe-idle'), SETTINGS.bareRuns);
  const syIdle = await idleRss(() => switchyard.start([], 'switchyard-idle'), SETTINGS.bareRuns);
  const syWarm = await (async () => {
    const c = await switchyard.start([], 'switchyard-warm');
    await shortWarmup(c.url);
    await settledRss(c.pid);
    const m = memoryMap(c.pid);
    await c.stop();
    return m;
  })();
  say(`== memory: idle processes, no inspector (VmRSS, median of ${SETTINGS.bareRuns} fresh processes; anonymous / file-backed from smaps_rollup) ==`);
  const row = (label: string, m: MemoryMap, base?: MemoryMap) =>
    `  ${label.padEnd(58)}${mb(m.rssBytes).padStart(10)}${mb(m.anonymousBytes).padStart(11)}${mb(m.fileBytes).padStart(11)}${base ? `   (+${mb(m.rssBytes - base.rssBytes)} over bare node)` : ''}`;
  say(`  ${''.padEnd(58)}${'RSS'.padStart(10)}${'anonymous'.padStart(11)}${'file'.padStart(11)}`);
  say(row("bare node -e 'setInterval(()=>{},1e3)'", bare));
  say(row('bare node with --inspect (the inspector\'s own cost)', bareInspected, bare));
  say(row('naive pipe, listening, no request yet', pipeIdle, bare));
  say(row('switchyard serve (1 endpoint), listening, no request yet', syIdle, bare));
  say(row('switchyard after the 500-request warm-up, settled', syWarm, bare));
  say('');

  // 4. Heap vs RSS, through the inspector (which itself adds the amount shown above).
  progress('memory breakdowns');
  const syB = await breakdownOf(switchyard);
  const pipeB = await breakdownOf(pipe);
  const slimB = await breakdownOf({ name: 'switchyard-min-dispatchers', isSwitchyard: true, start: (flags, name) => startSwitchyard(dir, upstream.url, { name, nodeFlags: flags, cli: slim.cli }) });
  say(`== memory: V8's view beside RSS (with --inspect; "+GC" columns after two full GCs, "as is" without) ==`);
  say(
    formatBreakdowns([
      { label: 'sy fresh+GC', m: syB.fresh },
      { label: 'sy warm as is', m: syB.warmAsIs },
      { label: 'sy warm+GC', m: syB.warm },
      { label: `sy ${SETTINGS.streams}str+GC`, m: syB.streams },
      { label: 'pipe fresh+GC', m: pipeB.fresh },
      { label: 'pipe warm as is', m: pipeB.warmAsIs },
      { label: 'pipe warm+GC', m: pipeB.warm },
      { label: `pipe ${SETTINGS.streams}str+GC`, m: pipeB.streams },
    ]),
  );
  say('');
  say(`  the same for Switchyard minified, with undici's dispatchers only and an ASCII-only source (the last Switchyard variant above):`);
  say(
    formatBreakdowns([
      { label: 'fresh+GC', m: slimB.fresh },
      { label: 'warm as is', m: slimB.warmAsIs },
      { label: 'warm+GC', m: slimB.warm },
      { label: `${SETTINGS.streams}str+GC`, m: slimB.streams },
    ]),
  );
  const perStream = (b: { warm: MemoryBreakdown; streams: MemoryBreakdown; opened: number }, pick: (m: MemoryBreakdown) => number) => ((pick(b.streams) - pick(b.warm)) / Math.max(1, b.opened) / 1024).toFixed(1);
  say(`  per stream (streams − warm, ÷ ${SETTINGS.streams}), KB:   RSS   anonymous   heapUsed   external`);
  for (const [name, b] of [['switchyard', syB], ['naive-pipe', pipeB], ['switchyard min+dispatchers+ASCII', slimB]] as const) {
    say(`    ${name.padEnd(38)}${perStream(b, (m) => m.rssBytes).padStart(6)}${perStream(b, (m) => m.anonymousBytes).padStart(12)}${perStream(b, (m) => m.heapUsedBytes).padStart(11)}${perStream(b, (m) => m.externalBytes).padStart(11)}`);
  }
  say('');

  // 5. What the heap holds per stream, and what loading the bundle puts there.
  progress('heap snapshots');
  const sySnap = await snapshotsOf(switchyard);
  const pipeSnap = await snapshotsOf(pipe);
  const bareTally = await bareSnapshot(dir);
  for (const [name, snap] of [['switchyard', sySnap], ['naive-pipe', pipeSnap]] as const) {
    const growth = totalBytes(snap.streams) - totalBytes(snap.warm);
    say(`== heap snapshot diff, ${name}: ${snap.opened} open streams − warm (self sizes; ${mb(growth)} in all, ${(growth / Math.max(1, snap.opened) / 1024).toFixed(1)} KB per stream) ==`);
    say(formatTallies(diffTallies(snap.warm, snap.streams), 25, { n: Math.max(1, snap.opened), unit: 'stream' }));
    say('');
  }
  say(`== heap snapshot diff: switchyard warm − bare node (what the bundle and its state put in the heap: ${mb(totalBytes(sySnap.warm) - totalBytes(bareTally))}) ==`);
  say(formatTallies(diffTallies(bareTally, sySnap.warm), 20));
  say('');
  say(`== heap snapshot diff: naive pipe warm − bare node (${mb(totalBytes(pipeSnap.warm) - totalBytes(bareTally))}) ==`);
  say(formatTallies(diffTallies(bareTally, pipeSnap.warm), 12));
  say('');

  // 6. What one streaming request costs on the first-event path.
  progress('sequential SSE');
  const sse: SseCost[] = [];
  for (let round = 0; round < 2; round++) for (const subject of [switchyard, pipe]) sse.push(await sseCost(subject, SETTINGS.sseRequests));
  say(`== sequential streaming requests (as for the first-event figure; ${SETTINGS.sseRequests} per run, 2 runs each, alternating) ==`);
  for (const c of sse) say(`  ${c.name.padEnd(12)} first event ${c.firstEventMs.toFixed(3)} ms (median), proxy CPU ${c.cpuMicrosPerRequest.toFixed(0)} µs per streaming request`);
  say('');

  // 7. The suspects, timed one by one in this process.
  progress('suspects');
  say('== suspects: per-request work in src/core timed alone in the bench process (fastest of 7 batches) ==');
  say(formatSuspects(timeSuspects()));
  say('');

  await upstream.stop();
  say(`took ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; rssBytes of the bench itself ${mb(rssBytes(process.pid))}`);
  fs.writeFileSync(path.join(OUT, 'summary.txt'), `${lines.join('\n')}\n`);
  clearTimeout(limit);
  process.exit(0);
}
