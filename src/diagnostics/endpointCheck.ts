// One endpoint, step by step (DNS → TCP → TLS → HTTP per key), each under its own deadline; stops at the first failed step.

import type { SecureContext } from 'node:tls';
import { Protocol } from '../core/config';
import { RuntimeEndpoint } from '../core/runtime';
import { CheckSubject, Deadline, finding, ok } from './check';
import { resolveHost } from './dnsStep';
import { probeHttp, probeResponses } from './httpProbe';
import { connectTcp } from './tcpStep';
import { checkTls } from './tlsStep';
import { DiagnosticCheck, DiagnosticDeadlines, EndpointStep } from './types';

export interface EndpointCheckOptions {
  deadlines: DiagnosticDeadlines;
  deadline: Deadline;
  slowMs: number;
  /** Extra trusted CAs; undefined = Node's defaults. */
  secureContext?: SecureContext;
  env: NodeJS.ProcessEnv;
}

const TITLES: Record<EndpointStep, string> = { dns: 'DNS', tcp: 'TCP connect', tls: 'TLS', http: 'HTTP probe' };

function subjectOf(e: RuntimeEndpoint, step: EndpointStep, key?: string): CheckSubject {
  return { area: 'endpoint', title: TITLES[step], step, cluster: e.cluster, endpoint: e.name, key };
}

function hostAndPort(e: RuntimeEndpoint): { hostname: string; port: number; secure: boolean } {
  const url = new URL(e.baseUrl);
  const secure = url.protocol === 'https:';
  return { hostname: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (secure ? 443 : 80), secure };
}

async function httpChecks(e: RuntimeEndpoint, protocol: Protocol, opts: EndpointCheckOptions): Promise<DiagnosticCheck[]> {
  const keys = e.keys.length > 0 ? e.keys : [undefined];
  const budgetMs = Math.max(1, opts.deadline.budget(opts.deadlines.httpMs));
  const probeOptions = { budgetMs, slowMs: opts.slowMs, secureContext: opts.secureContext };
  const perKey = Promise.all(
    keys.map(async (key) => {
      const r = await probeHttp(e, protocol, key, probeOptions);
      return finding(subjectOf(e, 'http', key?.suffix), r.verdict, r.ms);
    }),
  );
  // Once per endpoint, not per key: whether it serves the API Codex speaks.
  const responses = protocol === 'openai' ? probeResponses(e, keys[0], probeOptions) : Promise.resolve(undefined);
  const [checks, r] = await Promise.all([perKey, responses]);
  return r ? [...checks, finding({ ...subjectOf(e, 'http'), title: 'Responses API', detail: 'responses' }, r.verdict, r.ms)] : checks;
}

/** Runs every step for one endpoint and returns one check per step that ran (one HTTP check per key). */
export async function checkEndpoint(e: RuntimeEndpoint, protocol: Protocol, opts: EndpointCheckOptions): Promise<DiagnosticCheck[]> {
  if (e.disabled) return [finding({ area: 'endpoint', title: 'Endpoint', cluster: e.cluster, endpoint: e.name }, ok('disabled by the user; not probed'))];
  const { hostname, port, secure } = hostAndPort(e);
  const checks: DiagnosticCheck[] = [];

  const dns = await resolveHost(hostname, Math.max(1, opts.deadline.budget(opts.deadlines.dnsMs)));
  checks.push(finding(subjectOf(e, 'dns'), dns.verdict, dns.ms));
  if (dns.verdict.status === 'fail') return checks;

  const tcp = await connectTcp(dns.addresses, port, Math.max(1, opts.deadline.budget(opts.deadlines.connectMs)));
  checks.push(finding(subjectOf(e, 'tcp'), tcp.verdict, tcp.ms));
  if (!tcp.socket) return checks;

  if (secure) {
    const t = await checkTls(tcp.socket, hostname, Math.max(1, opts.deadline.budget(opts.deadlines.tlsMs)), { secureContext: opts.secureContext, env: opts.env });
    checks.push(finding(subjectOf(e, 'tls'), t.verdict, t.ms));
    if (t.verdict.status === 'fail') return checks;
  } else {
    tcp.socket.destroy();
  }

  checks.push(...(await httpChecks(e, protocol, opts)));
  return checks;
}
