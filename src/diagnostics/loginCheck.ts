// Subscription logins the running proxy has seen (ChatGPT, Claude): their tokens expect the vendor's own backend, not a key pool or a relay.

import { getAdmin } from '../core/adminClient';
import type { ProxyStats } from '../core/stats';
import { Deadline, finding } from './check';
import { DiagnosticCheck, InProcessSwitchyard } from './types';

export interface LoginCheckInput {
  host: string;
  port: number;
  switchyard?: InProcessSwitchyard;
  clientKey?: string;
  proxyMs: number;
  deadline: Deadline;
}

/** One finding per kind of subscription login the proxy saw; none when it saw none or does not run. */
export async function checkClientLogins(input: LoginCheckInput): Promise<DiagnosticCheck[]> {
  let logins: ProxyStats['logins'];
  if (input.switchyard) logins = input.switchyard.stats().logins;
  else {
    const answer = await getAdmin(input.host, input.port, '/_switchyard/stats', input.deadline.budget(input.proxyMs), input.clientKey);
    logins = answer.kind === 'json' && answer.status === 200 ? (answer.body as Partial<ProxyStats>).logins : undefined;
  }
  return (logins ?? []).map((l, i) =>
    finding(
      { area: 'environment', title: 'Subscription login (seen by the proxy)', detail: `seen-${i}` },
      {
        status: 'warn',
        cause: 'SUBSCRIPTION_LOGIN',
        summary: `${l.message}: ${l.count} request${l.count === 1 ? '' : 's'} to cluster "${l.cluster ?? '?'}", the last at ${new Date(l.lastAt).toISOString()}`,
        evidence: { family: l.family, requests: l.count, lastAt: new Date(l.lastAt).toISOString(), cluster: l.cluster },
        fix: l.family === 'openai'
          ? 'Sign Codex in with an API key (`codex login --with-api-key`) to go through Switchyard; a ChatGPT login works only against OpenAI\'s own backend.'
          : 'Give Claude Code an API key (ANTHROPIC_API_KEY) to go through Switchyard; a Claude subscription login works only against Anthropic\'s own API.',
      },
    ),
  );
}
