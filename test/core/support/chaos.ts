// A seeded chaos run: upstreams that flip among faults on a schedule (one always healthy, none after the first byte) and paced clients that count what was saved.

import * as http from 'node:http';
import * as net from 'node:net';
import { ANTHROPIC_EVENTS, sseEvent } from './upstream';

/** What an upstream does to a request that arrives while it is in this mode. */
export type ChaosMode = 'healthy' | '503' | '529' | '502' | 'reset' | 'hang' | 'liar';
export const FAULTS: readonly ChaosMode[] = ['503', '529', '502', 'reset', 'hang', 'liar'];

export interface ChaosPlan {
  seed: number;
  upstreams: number;
  /** Every upstream may change mode this often. */
  flipMs: number;
  /** How long clients start new requests. */
  durationMs: number;
  /** The share of slots in which an upstream is healthy (before the one-healthy rule). */
  healthyShare: number;
  /** A healthy upstream's time to first byte. */
  latencyMs: number;
}

export const ISSUE_PLAN: Omit<ChaosPlan, 'seed' | 'durationMs'> = { upstreams: 3, flipMs: 500, healthyShare: 0.6, latencyMs: 40 };

/** mulberry32: a small, well-mixed seeded generator, so a seed names one run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Each slot's mode per upstream: healthy with `healthyShare`, else one of the faults, and at least one healthy in every slot. */
export function chaosSchedule(plan: ChaosPlan): ChaosMode[][] {
  const random = seeded(plan.seed);
  const slots = Math.ceil(plan.durationMs / plan.flipMs) + 40;
  const schedule: ChaosMode[][] = [];
  for (let s = 0; s < slots; s++) {
    const modes = Array.from({ length: plan.upstreams }, (): ChaosMode => (random() < plan.healthyShare ? 'healthy' : FAULTS[Math.floor(random() * FAULTS.length)]));
    if (!modes.includes('healthy')) modes[Math.floor(random() * plan.upstreams)] = 'healthy';
    schedule.push(modes);
  }
  return schedule;
}

const STREAM = ANTHROPIC_EVENTS.map(([name, data]) => sseEvent(name, data)).join('');
const MESSAGE = JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [{ type: 'text', text: 'Hello' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 1 } });

export interface ChaosUpstreams {
  urls: string[];
  /** Starts the schedule's clock (slot 0 begins now). */
  begin(): void;
  /** Requests each upstream saw, by the mode it was in. */
  seen: Record<ChaosMode, number>[];
  /** Of those, the proxy's one-token liveness probes. */
  probes(): number;
  close(): Promise<void>;
}

/** Starts the plan's upstreams on port 0; until begin(), and after the schedule runs out, they are healthy. */
export async function startChaosUpstreams(plan: ChaosPlan, schedule = chaosSchedule(plan)): Promise<ChaosUpstreams> {
  let t0 = Infinity;
  const modeOf = (i: number): ChaosMode => {
    const slot = Math.floor((performance.now() - t0) / plan.flipMs);
    return slot >= 0 && slot < schedule.length ? schedule[slot][i] : 'healthy';
  };
  const servers: http.Server[] = [];
  const sockets = new Set<net.Socket>();
  let probes = 0;
  const seen = Array.from({ length: plan.upstreams }, () => Object.fromEntries([...FAULTS, 'healthy'].map((m) => [m, 0])) as Record<ChaosMode, number>);
  for (let i = 0; i < plan.upstreams; i++) {
    const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const mode = modeOf(i);
        const body = Buffer.concat(chunks).toString('utf8');
        seen[i][mode]++;
        if (body.includes('"ping"') && /"max_tokens"\s*:\s*1\b/.test(body)) probes++;
        answer(mode, req, res, body);
      });
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  const answer = (mode: ChaosMode, req: http.IncomingMessage, res: http.ServerResponse, body: string): void => {
    if (mode === 'hang') return;
    if (mode === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    if (mode === '503' || mode === '529' || mode === '502') {
      const type = mode === '529' ? 'overloaded_error' : 'api_error';
      res.writeHead(Number(mode), { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type, message: `chaos says ${mode}` } }));
      return;
    }
    const stream = /"stream"\s*:\s*true/.test(body);
    const timer = setTimeout(() => {
      if (res.destroyed) return;
      // The liar promises a minute of keep-alive and closes the connection soon after answering.
      const keepAlive = mode === 'liar' ? { connection: 'keep-alive', 'keep-alive': 'timeout=60' } : {};
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json', ...keepAlive });
      res.end(stream ? STREAM : MESSAGE);
      if (mode === 'liar') res.once('finish', () => setTimeout(() => req.socket.destroy(), Math.random() * 30));
    }, plan.latencyMs * (0.75 + Math.random() / 2));
    res.on('close', () => clearTimeout(timer));
  };
  return {
    urls: servers.map((s) => `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`),
    begin: () => {
      t0 = performance.now();
    },
    seen,
    probes: () => probes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

export interface ClientPlan {
  clients: number;
  /** How long a client waits for a whole answer before it gives up. */
  patienceMs: number;
  /** Pause between one client's requests. */
  thinkMs: number;
  durationMs: number;
  /** Where request `n` of client `c` goes. */
  target(c: number, n: number): string;
}

export interface ChaosOutcome {
  total: number;
  saved: number;
  /** Requests the client gave up on at its patience. */
  pastPatience: number;
  /** Answered but not saved: by status (and `cut` for a stream that did not end properly). */
  failed: Record<string, number>;
  /** Time to a whole answer of the saved requests, sorted. */
  savedMs: number[];
}

const BODY = (stream: boolean) => JSON.stringify({ model: 'claude-test', max_tokens: 8, stream, messages: [{ role: 'user', content: 'hi' }] });

/** One request as an SDK sends it (keep-alive); resolves with how it ended, never rejects. */
function request(agent: http.Agent, target: string, stream: boolean, patienceMs: number): Promise<{ kind: 'saved' | 'patience' | 'failed'; status: string; ms: number }> {
  const started = performance.now();
  const url = new URL(target);
  return new Promise((resolve) => {
    let done = false;
    const finish = (kind: 'saved' | 'patience' | 'failed', status: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ kind, status, ms: performance.now() - started });
    };
    const req = http.request(
      { host: url.hostname, port: url.port, path: `${url.pathname.replace(/\/$/, '')}/v1/messages`, method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': 'sk-chaos-client-0000' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const whole = stream ? text.includes('event: message_stop') && !text.includes('event: error') : text.includes('"type":"message"');
          finish(res.statusCode === 200 && whole ? 'saved' : 'failed', res.statusCode === 200 ? 'cut' : String(res.statusCode));
        });
        res.on('error', () => finish('failed', 'cut'));
        res.on('aborted', () => finish('failed', 'cut'));
      },
    );
    const timer = setTimeout(() => {
      finish('patience', 'patience');
      req.destroy();
    }, patienceMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish('failed', err.code ?? 'error'));
    req.end(BODY(stream));
  });
}

/** Runs paced clients (the even ones streaming) until the plan's duration is over, then waits for their last requests. */
export async function runChaosClients(p: ClientPlan): Promise<ChaosOutcome> {
  const out: ChaosOutcome = { total: 0, saved: 0, pastPatience: 0, failed: {}, savedMs: [] };
  const agent = new http.Agent({ keepAlive: true, maxSockets: p.clients * 4 });
  const end = performance.now() + p.durationMs;
  const client = async (c: number) => {
    for (let n = 0; performance.now() < end; n++) {
      const r = await request(agent, p.target(c, n), c % 2 === 0, p.patienceMs);
      out.total++;
      if (r.kind === 'saved') {
        out.saved++;
        out.savedMs.push(r.ms);
      } else if (r.kind === 'patience') out.pastPatience++;
      else out.failed[r.status] = (out.failed[r.status] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, p.thinkMs));
    }
  };
  await Promise.all(Array.from({ length: p.clients }, (_, c) => client(c)));
  agent.destroy();
  out.savedMs.sort((a, b) => a - b);
  return out;
}

/** `99.87% (1498/1500; 1 past patience, 1× 502)`. */
export function describeOutcome(o: ChaosOutcome): string {
  const failed = Object.entries(o.failed).map(([k, n]) => `${n}× ${k}`);
  const extra = [o.pastPatience ? `${o.pastPatience} past patience` : '', ...failed].filter(Boolean).join(', ');
  return `${((100 * o.saved) / Math.max(1, o.total)).toFixed(2)}% (${o.saved}/${o.total}${extra ? `; ${extra}` : ''})`;
}
