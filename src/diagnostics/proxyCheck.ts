// The proxy itself: listening, a health round trip, uptime, event-loop lag, memory, upstream sockets and requests in flight.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import { AdminAnswer, getAdmin, proxyUrl, switchyardIdentity } from '../core/adminClient';
import { Deadline, finding, humanMs, ok, plural, Verdict } from './check';
import type { DiagnosticsHost } from './settingNames';
import { DiagnosticCheck, Evidence, InProcessSwitchyard } from './types';

const LAG_WARN_MS = 200;
const REMOTE_RTT_WARN_MS = 1000;
const HEAP_WARN_SHARE = 0.85;
const LAG_SAMPLE_MS = 100;

export interface ProxyCheckInput {
  host: string;
  port: number;
  /** The answer to GET /_switchyard/health on host:port, shared with the port check. */
  health: AdminAnswer;
  switchyard?: InProcessSwitchyard;
  clientKey?: string;
  proxyMs: number;
  deadline: Deadline;
  runsIn?: DiagnosticsHost;
}

const subject = { area: 'proxy' as const, title: 'Proxy' };

function mb(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

/** Event-loop delay in this process over a short sample. */
async function sampleLag(ms: number): Promise<{ p99Ms: number; maxMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await sleep(ms);
  h.disable();
  return { p99Ms: Math.round(h.percentile(99) / 1e6), maxMs: Math.round(h.max / 1e6) };
}

function memoryEvidence(): { evidence: Evidence; heapShare: number } {
  const m = process.memoryUsage();
  const limit = getHeapStatistics().heap_size_limit;
  return { evidence: { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapLimitMb: mb(limit) }, heapShare: m.heapUsed / limit };
}

function socketsVerdict(sockets: number, inFlight: number, evidence: Evidence): Verdict | undefined {
  // Keep-alive pools hold a few idle sockets per origin; many more than requests in flight smells of a leak.
  if (sockets <= 64 + 4 * inFlight) return undefined;
  return {
    status: 'warn',
    cause: 'SOCKETS_HIGH',
    summary: `${plural(sockets, 'upstream socket')} ${sockets === 1 ? 'is' : 'are'} open for ${plural(inFlight, 'request')} in flight`,
    evidence,
    fix: 'Watch /_switchyard/stats: if the count keeps growing, restart the proxy and report it (sockets are leaking).',
  };
}

async function inProcess(sy: InProcessSwitchyard, input: ProxyCheckInput, started: number): Promise<DiagnosticCheck> {
  const address = sy.address;
  if (!address) {
    return finding(subject, {
      status: 'warn',
      cause: 'PROXY_NOT_RUNNING',
      summary: 'the proxy in this window is stopped',
      evidence: { configuredPort: input.port },
      fix: 'Start it (Switchyard: Start Proxy); the port check says whether the port is free.',
    }, performance.now() - started);
  }
  const answer = input.health;
  const identity = switchyardIdentity(answer);
  const stats = sy.stats();
  const lag = await sampleLag(input.deadline.budget(LAG_SAMPLE_MS));
  const memory = memoryEvidence();
  const evidence: Evidence = {
    url: proxyUrl(address.host, address.port),
    healthRoundTripMs: answer.ms,
    uptime: humanMs(stats.uptimeMs),
    inFlight: stats.requests.inFlight,
    upstreamSockets: stats.upstreamSockets,
    eventLoopLagP99Ms: lag.p99Ms,
    eventLoopLagMaxMs: lag.maxMs,
    ...memory.evidence,
  };
  const ms = performance.now() - started;
  if (!identity || identity.instanceId !== sy.instanceId) {
    return finding(subject, {
      status: 'fail',
      cause: 'PROXY_UNRESPONSIVE',
      summary: `the proxy says it listens on ${address.host}:${address.port} but /_switchyard/health did not answer (${answer.kind}) within ${humanMs(input.proxyMs)}`,
      evidence,
      fix: 'Restart the proxy (Switchyard: Restart Proxy); if it happens again, the extension host may be busy — check event-loop lag.',
    }, ms);
  }
  if (lag.p99Ms > LAG_WARN_MS) {
    return finding(subject, {
      status: 'warn',
      cause: 'EVENT_LOOP_LAG',
      summary: `the event loop is ${lag.p99Ms} ms late (p99): requests wait before the proxy even sees them`,
      evidence,
      fix: 'Another extension or a large request is keeping the extension host busy; `Developer: Show Running Extensions` shows which.',
    }, ms);
  }
  if (memory.heapShare > HEAP_WARN_SHARE) {
    return finding(subject, {
      status: 'warn',
      cause: 'MEMORY_HIGH',
      summary: `the heap is ${Math.round(memory.heapShare * 100)}% full`,
      evidence,
      fix: `Restart the window or the proxy; large buffered request bodies cost memory while in flight${input.runsIn === 'vscode' ? '' : ' (`limits.maxBodyBytes` in the config file caps them)'}.`,
    }, ms);
  }
  const vitals = `up ${evidence.uptime}, ${stats.requests.inFlight} in flight, ${plural(stats.upstreamSockets, 'upstream socket')}, loop lag ${lag.p99Ms} ms, heap ${evidence.heapUsedMb} MB`;
  return finding(subject, socketsVerdict(stats.upstreamSockets, stats.requests.inFlight, evidence) ?? ok(`Switchyard answers on ${evidence.url} in ${answer.ms} ms (${vitals})`, evidence), ms);
}

function notRunning(input: ProxyCheckInput, ms: number): DiagnosticCheck {
  const { health: answer } = input;
  const where = `${input.host}:${input.port}`;
  if (answer.kind === 'timeout') {
    return finding(subject, {
      status: 'fail',
      cause: 'PROXY_UNRESPONSIVE',
      summary: `something accepts connections on ${where} but /_switchyard/health got no answer within ${humanMs(input.proxyMs)}`,
      evidence: { address: where, waitedMs: answer.ms },
      fix: 'If it is Switchyard, it is stuck: restart it. Otherwise the port check names the program holding the port.',
    }, ms);
  }
  const what = answer.kind === 'refused' ? 'nothing listens there' : answer.kind === 'error' ? `connecting failed (${answer.code})` : `it answered HTTP ${answer.status}, but not as Switchyard`;
  return finding(subject, {
    status: 'warn',
    cause: 'PROXY_NOT_RUNNING',
    summary: `no Switchyard answers on ${where}: ${what}`,
    evidence: { address: where, answer: answer.kind },
    fix: `Start it (${input.runsIn === 'vscode' ? '"Switchyard: Start Proxy"' : '`switchyard serve --config …`'}); clients pointed at it get connection errors until then.`,
  }, ms);
}

/** The parts of /_switchyard/stats this check reads; older proxies may lack some. */
interface RemoteStats {
  uptimeMs?: number;
  upstreamSockets?: number;
  requests?: { inFlight?: number };
  memory?: { rssBytes: number; heapUsedBytes: number };
}

async function remote(input: ProxyCheckInput, started: number): Promise<DiagnosticCheck> {
  const identity = switchyardIdentity(input.health);
  if (!identity) return notRunning(input, performance.now() - started);
  const statsAnswer = await getAdmin(input.host, input.port, '/_switchyard/stats', input.deadline.budget(input.proxyMs), input.clientKey);
  const stats = statsAnswer.kind === 'json' ? (statsAnswer.body as RemoteStats) : {};
  const inFlight = stats.requests?.inFlight ?? 0;
  const sockets = stats.upstreamSockets ?? 0;
  const evidence: Evidence = {
    url: proxyUrl(input.host, input.port),
    pid: identity.pid,
    version: identity.version,
    healthRoundTripMs: input.health.ms,
    uptime: humanMs(stats.uptimeMs ?? Date.now() - identity.startedAt),
    inFlight,
    upstreamSockets: sockets,
    rssMb: stats.memory ? mb(stats.memory.rssBytes) : null,
    heapUsedMb: stats.memory ? mb(stats.memory.heapUsedBytes) : null,
    eventLoopLag: 'judged by the health round trip (the proxy runs in another process)',
  };
  const ms = performance.now() - started;
  if (input.health.ms > REMOTE_RTT_WARN_MS) {
    return finding(subject, {
      status: 'warn',
      cause: 'EVENT_LOOP_LAG',
      summary: `a health round trip took ${input.health.ms} ms: the proxy's event loop is busy`,
      evidence,
      fix: 'Check the proxy process (CPU, memory); restarting it clears a stuck loop.',
    }, ms);
  }
  const vitals = `up ${evidence.uptime}, ${inFlight} in flight, ${plural(sockets, 'upstream socket')}${evidence.rssMb !== null ? `, rss ${evidence.rssMb} MB` : ''}`;
  return finding(subject, socketsVerdict(sockets, inFlight, evidence) ?? ok(`Switchyard (pid ${identity.pid}) answers on ${evidence.url} in ${input.health.ms} ms (${vitals})`, evidence), ms);
}

/** Checks the running proxy: in this process when given, otherwise over HTTP at host:port. */
export async function checkProxy(input: ProxyCheckInput): Promise<DiagnosticCheck> {
  const started = performance.now();
  return input.switchyard ? inProcess(input.switchyard, input, started) : remote(input, started);
}

/** The health answer both the proxy and the port checks read. */
export function probeHealth(host: string, port: number, proxyMs: number, deadline: Deadline, clientKey?: string): Promise<AdminAnswer> {
  return getAdmin(host, port, '/_switchyard/health', deadline.budget(proxyMs), clientKey);
}
