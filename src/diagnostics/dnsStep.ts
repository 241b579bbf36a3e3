// DNS for one endpoint: the addresses a host name resolves to, how long that took, and why it failed.

import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { errorCode, humanMs, since, Verdict, withTimeout } from './check';

export interface DnsOutcome {
  verdict: Verdict;
  /** Resolved addresses in the resolver's order; empty when the step failed. */
  addresses: string[];
  ms: number;
}

const FAILURE_CLASSES: Record<string, string> = {
  ENOTFOUND: 'the name does not exist (NXDOMAIN) — a typo, or a name only a VPN or corporate DNS knows',
  EAI_NONAME: 'the name does not exist',
  EAI_NODATA: 'the name has no address records',
  EAI_AGAIN: 'the resolver did not answer (offline, VPN down, or the DNS server is unreachable)',
  EAI_FAIL: 'the resolver failed permanently',
};

type Lookup = { ok: true; addresses: string[] } | { ok: false; code: string };

/** Resolves `hostname` the way the proxy's connections do (getaddrinfo, /etc/hosts included). */
export async function resolveHost(hostname: string, budgetMs: number): Promise<DnsOutcome> {
  const started = performance.now();
  if (isIP(hostname)) return { verdict: { status: 'ok', cause: 'OK', summary: `${hostname} is an IP address; nothing to resolve`, evidence: { addresses: [hostname] } }, addresses: [hostname], ms: 0 };
  const lookup = dns.lookup(hostname, { all: true }).then(
    (list): Lookup => ({ ok: true, addresses: list.map((a) => a.address) }),
    (err: unknown): Lookup => ({ ok: false, code: errorCode(err) ?? 'ERROR' }),
  );
  const result = await withTimeout<Lookup>(lookup, budgetMs, () => ({ ok: false, code: 'TIMEOUT' }));
  const ms = since(started);
  if (result.ok) {
    return { verdict: { status: 'ok', cause: 'OK', summary: `${hostname} resolved in ${ms} ms`, evidence: { host: hostname, addresses: result.addresses, ms } }, addresses: result.addresses, ms };
  }
  const why = result.code === 'TIMEOUT' ? `no answer within ${humanMs(budgetMs)}` : FAILURE_CLASSES[result.code] ?? `lookup failed (${result.code})`;
  return {
    verdict: {
      status: 'fail',
      cause: 'UPSTREAM_DNS', formerly: 'DNS_FAILED',
      summary: `${hostname} did not resolve: ${why}`,
      evidence: { host: hostname, failureClass: result.code, ms },
      fix: 'Check the host name in the base URL; if it is internal, connect the VPN or use the DNS server that knows it (`nslookup ' + hostname + '`).',
    },
    addresses: [],
    ms,
  };
}
