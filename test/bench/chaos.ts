// `npm run bench:chaos`: the seeded chaos run of the issue at length, Switchyard (several set-ups, hedging on and off) beside no proxy and nginx, median of seeds.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChaosOutcome, describeOutcome, ISSUE_PLAN, runChaosClients, startChaosUpstreams } from '../core/support/chaos';
import { Child, freePort, installCleanup, killAllNow, spawnChild, tempDir, waitForPort } from './children';
import { median, quantile, round } from './stats';
import { findNginx } from './targets';

const ROOT = path.resolve(__dirname, '../../..');
const JSON_OUT = path.join(ROOT, 'test-artifacts', 'bench-chaos.json');
const READY = /listening on (http:\/\/\S+)/;

export interface ChaosSettings {
  seeds: number[];
  /** How long clients start requests in each run. */
  seconds: number;
  clients: number;
  patienceMs: number;
  thinkMs: number;
  /** All-healthy seconds before the chaos, not counted: the proxy has seen every endpoint answer, as one that has been running. */
  warmupSeconds: number;
}

export const DEFAULT_CHAOS: ChaosSettings = {
  seeds: (process.env.CHAOS_SEEDS ?? '1,2,3,4,5').split(',').map(Number),
  seconds: Number(process.env.CHAOS_SECONDS ?? 30),
  clients: 4,
  patienceMs: 8000,
  thinkMs: 50,
  warmupSeconds: 3,
};

/** What each variant puts between the clients and the three upstreams. */
interface Variant {
  name: string;
  /** Switchyard config overrides; absent for the other kinds. */
  switchyard?: Record<string, unknown>;
  kind: 'direct' | 'nginx' | 'switchyard';
}

const VARIANTS: Variant[] = [
  { name: 'no proxy', kind: 'direct' },
  { name: 'nginx, proxy_next_upstream, 2 s timeouts', kind: 'nginx' },
  { name: 'switchyard, 2 s deadlines (the issue\'s set-up)', kind: 'switchyard', switchyard: { timeouts: { streamFirstByteMs: 2000, firstByteMs: 2000 } } },
  { name: 'switchyard, 2 s deadlines + hedging', kind: 'switchyard', switchyard: { timeouts: { streamFirstByteMs: 2000, firstByteMs: 2000 }, retry: { hedgeAfterMs: 200 } } },
  { name: 'switchyard, default timeouts (learned)', kind: 'switchyard', switchyard: {} },
  { name: 'switchyard, default timeouts + hedging', kind: 'switchyard', switchyard: { retry: { hedgeAfterMs: 200 } } },
  // What the retry budget costs here: with 4 clients its minimum of 3 concurrent retries is the limit.
  { name: 'switchyard, default timeouts, minRetryConcurrency 3 (the old default)', kind: 'switchyard', switchyard: { retry: { minRetryConcurrency: 3 } } },
];

interface RunFigures {
  seed: number;
  outcome: ChaosOutcome;
  /** Requests the upstreams saw per client request (retries, probes and hedges included). */
  upstreamPerRequest: number;
  probes: number;
  hedgesCancelled: number;
  /** Switchyard's own outcome codes for the requests it did not answer 200. */
  causes: Record<string, number>;
}

/** Switchyard as a user runs it, over the three chaos upstreams, with a request log to count cancelled hedges. */
async function startSwitchyard(dir: string, name: string, urls: string[], overrides: Record<string, unknown>): Promise<Child & { requestLog: string }> {
  const config = path.join(dir, `${name}.json`);
  const requestLog = path.join(dir, `${name}.requests.log`);
  fs.writeFileSync(config, JSON.stringify({ clusters: [{ name: 'main', protocol: 'anthropic', endpoints: urls.map((u, i) => ({ name: `u${i}`, baseUrl: u })) }], logFile: requestLog, ...overrides }));
  const cli = path.join(ROOT, 'dist', 'cli.js');
  const args = [cli, 'serve', '--config', config, '--port', '0', '--keys-file', path.join(dir, 'no-keys.json')];
  return { ...(await spawnChild({ name, command: process.execPath, args, dir, ready: READY })), requestLog };
}

/** nginx as the issue ran it: the three upstreams, next upstream on error, timeout, 502/503/504, POSTs included, 2 s timeouts. */
async function startNginx(binary: string, dir: string, name: string, urls: string[]): Promise<Child> {
  const port = await freePort();
  const root = path.join(dir, name);
  fs.mkdirSync(root, { recursive: true });
  const servers = urls.map((u) => `    server ${new URL(u).host} max_fails=0;`).join('\n');
  const conf = path.join(root, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${root}/nginx.pid;
error_log ${root}/error.log crit;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${root}/body;
  proxy_temp_path ${root}/proxy;
  fastcgi_temp_path ${root}/fastcgi;
  uwsgi_temp_path ${root}/uwsgi;
  scgi_temp_path ${root}/scgi;
  upstream chaos {
${servers}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://chaos;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_connect_timeout 2s;
      proxy_read_timeout 2s;
      proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;
      proxy_next_upstream_tries 3;
    }
  }
}
`,
  );
  return spawnChild({ name, command: binary, args: ['-p', root, '-c', conf], dir, url: `http://127.0.0.1:${port}`, waitReady: () => waitForPort(port) });
}

interface LoggedRequest {
  time: string;
  status: number;
  outcome: string;
  stream: boolean;
  attempts: { endpoint: string; cause: string; ms: number }[];
}

/** The request log's records of requests that started at or after `since` (the warm-up's are left out). */
function loggedRequests(requestLog: string, since: number): LoggedRequest[] {
  if (!fs.existsSync(requestLog)) return [];
  const all = fs.readFileSync(requestLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as LoggedRequest & { durationMs: number });
  return all.filter((r) => Date.parse(r.time) - r.durationMs >= since);
}

/** One seed: every variant at once, each on its own three upstreams following the same schedule from the same moment. */
async function runSeed(seed: number, variants: Variant[], s: ChaosSettings, dir: string, nginx: string | undefined): Promise<Map<string, RunFigures>> {
  const plan = { ...ISSUE_PLAN, seed, durationMs: s.seconds * 1000 };
  const legs = await Promise.all(
    variants.map(async (v, i) => {
      const upstreams = await startChaosUpstreams(plan);
      const name = `seed${seed}-v${i}`;
      const child = v.kind === 'switchyard' ? await startSwitchyard(dir, name, upstreams.urls, v.switchyard ?? {}) : v.kind === 'nginx' ? await startNginx(nginx!, dir, name, upstreams.urls) : undefined;
      return { v, upstreams, child };
    }),
  );
  // Warm-up: the upstreams are healthy until begin().
  const warmup = { clients: s.clients, patienceMs: s.patienceMs, thinkMs: s.thinkMs, durationMs: s.warmupSeconds * 1000 };
  await Promise.all(legs.map((l) => runChaosClients({ ...warmup, target: l.child ? () => l.child!.url : (c, n) => l.upstreams.urls[(c + n) % l.upstreams.urls.length] })));
  for (const l of legs) l.upstreams.seen.forEach((byMode) => Object.keys(byMode).forEach((m) => (byMode[m as keyof typeof byMode] = 0)));
  const since = Date.now();
  const probesBefore = legs.map((l) => l.upstreams.probes());
  for (const l of legs) l.upstreams.begin();
  const outcomes = await Promise.all(
    legs.map((l) => {
      const target = l.child ? () => l.child!.url : (c: number, n: number) => l.upstreams.urls[(c + n) % l.upstreams.urls.length];
      return runChaosClients({ clients: s.clients, patienceMs: s.patienceMs, thinkMs: s.thinkMs, durationMs: s.seconds * 1000, target });
    }),
  );
  const figures = new Map<string, RunFigures>();
  for (const [i, l] of legs.entries()) {
    await l.child?.stop();
    const seen = l.upstreams.seen.reduce((n, byMode) => n + Object.values(byMode).reduce((a, b) => a + b, 0), 0);
    const requestLog = (l.child as { requestLog?: string } | undefined)?.requestLog;
    const logged = requestLog ? loggedRequests(requestLog, since) : [];
    const causes: Record<string, number> = {};
    for (const r of logged.filter((x) => x.status !== 200)) {
      causes[r.outcome] = (causes[r.outcome] ?? 0) + 1;
      if (process.env.CHAOS_DEBUG) process.stderr.write(`    ${l.v.name}: ${r.status} ${r.outcome} ${r.stream ? 'stream' : 'json'} ${r.attempts.map((a) => `${a.endpoint} ${a.cause} ${a.ms}ms`).join(' → ')}\n`);
    }
    figures.set(l.v.name, {
      seed,
      outcome: outcomes[i],
      upstreamPerRequest: seen / Math.max(1, outcomes[i].total),
      probes: l.upstreams.probes() - probesBefore[i],
      hedgesCancelled: logged.reduce((n, r) => n + r.attempts.filter((a) => a.cause === 'HEDGE_CANCELLED').length, 0),
      causes,
    });
    await l.upstreams.close();
  }
  return figures;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Runs the chaos bench and prints its table; returns the figures (also written as JSON). */
export async function chaosBench(say: (line: string) => void, progress: (line: string) => void, s: ChaosSettings = DEFAULT_CHAOS): Promise<unknown> {
  const dir = tempDir('switchyard-chaos-');
  const nginx = findNginx();
  const variants = VARIANTS.filter((v) => v.kind !== 'nginx' || nginx);
  say(`chaos — ${ISSUE_PLAN.upstreams} upstreams flipping every ${ISSUE_PLAN.flipMs} ms among 503, 529, 502, reset, no answer, a keep-alive liar and healthy (${pct(ISSUE_PLAN.healthyShare)} of slots, at least one healthy at every moment, no fault after the first byte);`);
  say(`        ${s.clients} paced clients (half streaming, ${s.thinkMs} ms between requests), patience ${s.patienceMs / 1000} s, ${s.seconds} s per run after a ${s.warmupSeconds} s all-healthy warm-up (not counted), seeds ${s.seeds.join(', ')};`);
  say('        every variant runs at once on its own upstreams with the same schedule.');
  if (!nginx) say('        nginx: not installed (apt-get install -y nginx-light to include it)');
  const runs = new Map<string, RunFigures[]>(variants.map((v) => [v.name, []]));
  for (const seed of s.seeds) {
    const figures = await runSeed(seed, variants, s, dir, nginx);
    for (const [name, f] of figures) runs.get(name)!.push(f);
    progress(`seed ${seed}: ${variants.map((v) => `${v.name.split(',')[0]} ${pct(figures.get(v.name)!.outcome.saved / Math.max(1, figures.get(v.name)!.outcome.total))}`).join(' · ')}`);
  }
  const rows = variants.map((v) => {
    const fs_ = runs.get(v.name)!;
    const shares = fs_.map((f) => f.outcome.saved / Math.max(1, f.outcome.total));
    const total: ChaosOutcome = { total: 0, saved: 0, pastPatience: 0, failed: {}, savedMs: [] };
    const causes: Record<string, number> = {};
    for (const f of fs_) {
      for (const [k, n] of Object.entries(f.causes)) causes[k] = (causes[k] ?? 0) + n;
      total.total += f.outcome.total;
      total.saved += f.outcome.saved;
      total.pastPatience += f.outcome.pastPatience;
      total.savedMs.push(...f.outcome.savedMs);
      for (const [k, n] of Object.entries(f.outcome.failed)) total.failed[k] = (total.failed[k] ?? 0) + n;
    }
    return {
      name: v.name,
      medianSaved: median(shares),
      minSaved: Math.min(...shares),
      maxSaved: Math.max(...shares),
      all: describeOutcome(total),
      p99Ms: quantile(total.savedMs, 0.99),
      p999Ms: quantile(total.savedMs, 0.999),
      maxMs: Math.max(...total.savedMs),
      causes,
      upstreamPerRequest: median(fs_.map((f) => f.upstreamPerRequest)),
      probes: fs_.reduce((n, f) => n + f.probes, 0),
      hedgesCancelled: fs_.reduce((n, f) => n + f.hedgesCancelled, 0),
      requests: total.total,
    };
  });
  const w = Math.max(...rows.map((r) => r.name.length));
  say('');
  say(`${'variant'.padEnd(w)}  saved (median of seeds)  min–max            whole answer p99 / p99.9 / max  upstream req/request  all seeds together`);
  for (const r of rows) {
    const times = `${r.p99Ms.toFixed(0)} / ${r.p999Ms.toFixed(0)} / ${r.maxMs.toFixed(0)} ms`;
    say(`${r.name.padEnd(w)}  ${pct(r.medianSaved).padStart(23)}  ${`${pct(r.minSaved)}–${pct(r.maxSaved)}`.padEnd(17)}  ${times.padStart(30)}  ${r.upstreamPerRequest.toFixed(2).padStart(20)}  ${r.all}`);
  }
  say('');
  for (const r of rows.filter((x) => Object.keys(x.causes).length > 0)) say(`  ${r.name}: not saved, by Switchyard's cause: ${Object.entries(r.causes).map(([k, n]) => `${n}× ${k}`).join(', ')}`);
  const hedged = rows.filter((r) => r.hedgesCancelled > 0);
  for (const r of hedged) say(`  ${r.name}: ${r.hedgesCancelled} hedged attempts cancelled in ${r.requests} requests (${pct(r.hedgesCancelled / r.requests)}); each may be billed for its input.`);
  for (const r of rows.filter((x) => x.probes > 0)) say(`  ${r.name}: ${r.probes} liveness probes (one-token streams) in ${r.requests} requests.`);
  const report = { when: new Date().toISOString(), node: process.version, settings: s, plan: ISSUE_PLAN, rows: rows.map((r) => ({ ...r, medianSaved: round(r.medianSaved, 5), minSaved: round(r.minSaved, 5), maxSaved: round(r.maxSaved, 5) })), runs: Object.fromEntries([...runs].map(([k, v]) => [k, v.map((f) => ({ seed: f.seed, total: f.outcome.total, saved: f.outcome.saved, pastPatience: f.outcome.pastPatience, failed: f.outcome.failed, upstreamPerRequest: round(f.upstreamPerRequest, 3), probes: f.probes, hedgesCancelled: f.hedgesCancelled }))])) };
  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(JSON_OUT, `${JSON.stringify(report, null, 2)}\n`);
  say(`  figures in ${path.relative(process.cwd(), JSON_OUT) || JSON_OUT}`);
  return report;
}

if (require.main === module) {
  installCleanup();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => process.stderr.write(`  · ${line}\n`);
  chaosBench(say, progress).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench:chaos failed: ${(err as Error).stack ?? String(err)}\n`);
      killAllNow();
      process.exit(1);
    },
  );
}
