// What each endpoint and key has spent today, from the running proxy's stats: tokens, the cache-hit share and the cost where a price applies.

import { getAdmin } from '../core/adminClient';
import type { ProxyStats } from '../core/stats';
import { cacheHitShare, UsageTotals } from '../core/usageLedger';
import { Deadline, finding, plural } from './check';
import { DiagnosticCheck, Evidence, InProcessSwitchyard } from './types';

export interface UsageCheckInput {
  host: string;
  port: number;
  switchyard?: InProcessSwitchyard;
  clientKey?: string;
  proxyMs: number;
  deadline: Deadline;
}

function evidenceOf(t: UsageTotals): Evidence {
  const hit = cacheHitShare(t);
  return {
    requests: t.requests,
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    cacheReadTokens: t.cacheReadTokens,
    cacheWriteTokens: t.cacheWriteTokens,
    cacheHitShare: hit === null ? null : Math.round(hit * 1000) / 1000,
    costUsd: t.costUsd === undefined ? null : Math.round(t.costUsd * 1e6) / 1e6,
    unpricedRequests: t.unpriced ?? 0,
    unreportedRequests: t.unreported ?? 0,
  };
}

function summary(t: UsageTotals): string {
  const hit = cacheHitShare(t);
  const cost = t.costUsd === undefined ? 'no price for its models' : `$${t.costUsd.toFixed(4)}${t.unpriced ? ` (+${t.unpriced} unpriced)` : ''}`;
  return `today: ${plural(t.requests, 'request')}, ${t.inputTokens} input + ${t.cacheReadTokens} cache-read + ${t.cacheWriteTokens} cache-write + ${t.outputTokens} output tokens${hit === null ? '' : ` (cache hits ${Math.round(hit * 100)}% of the prompt)`}, ${cost}`;
}

/** One informational finding per endpoint and key that has usage today; none when the proxy does not run. */
export async function checkUsage(input: UsageCheckInput): Promise<DiagnosticCheck[]> {
  let stats: Partial<ProxyStats> | undefined;
  if (input.switchyard) stats = input.switchyard.stats();
  else {
    const answer = await getAdmin(input.host, input.port, '/_switchyard/stats', input.deadline.budget(input.proxyMs), input.clientKey);
    stats = answer.kind === 'json' && answer.status === 200 ? (answer.body as Partial<ProxyStats>) : undefined;
  }
  const out: DiagnosticCheck[] = [];
  for (const c of stats?.clusters ?? []) {
    for (const e of c.endpoints) {
      if (!e.today || e.today.requests === 0) continue;
      out.push(finding({ area: 'history', title: 'Usage today', cluster: c.name, endpoint: e.name, detail: 'usage' }, { status: 'ok', cause: 'OK', summary: summary(e.today), evidence: evidenceOf(e.today) }));
      for (const k of e.keys) {
        if (k.today?.requests) out.push(finding({ area: 'history', title: 'Usage today', cluster: c.name, endpoint: e.name, key: k.suffix, detail: 'usage' }, { status: 'ok', cause: 'OK', summary: summary(k.today), evidence: evidenceOf(k.today) }));
      }
    }
  }
  return out;
}
