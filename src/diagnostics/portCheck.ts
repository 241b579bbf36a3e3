// The proxy's port: free, held by this Switchyard, by another Switchyard (fine), or by a foreign process named by pid and program.

import { findPortOwner } from '../core/portOwner';
import { AdminAnswer, switchyardIdentity } from '../core/adminClient';
import { Deadline, finding, ok, Verdict, withTimeout } from './check';
import { DiagnosticsHost, settingRef } from './settingNames';
import { DiagnosticCheck } from './types';

export interface PortCheckInput {
  host: string;
  port: number;
  /** The answer to GET /_switchyard/health on host:port. */
  health: AdminAnswer;
  /** The instance id of the Switchyard in this process, if any. */
  ownInstanceId?: string;
  portOwnerMs: number;
  deadline: Deadline;
  runsIn?: DiagnosticsHost;
}

type Owner = { pid?: number; program?: string; command?: string };

function foreign(port: number, owner: Owner, runsIn: DiagnosticsHost): Verdict {
  const who = owner.pid ? `${owner.program ?? 'a process'} (pid ${owner.pid})` : 'another process (the OS did not say which; it may belong to another user)';
  return {
    status: 'fail',
    cause: 'PORT_IN_USE_FOREIGN',
    summary: `port ${port} is held by ${who}, not by Switchyard`,
    evidence: { port, pid: owner.pid ?? null, program: owner.program ?? null, command: owner.command ?? null },
    fix: owner.pid
      ? `Stop ${owner.program ?? 'it'} (e.g. \`kill ${owner.pid}\`) or give Switchyard another port (${settingRef('port', runsIn)}) and point clients at that.`
      : `Find the program with \`lsof -iTCP:${port} -sTCP:LISTEN\` (or \`netstat -ano\` on Windows), stop it, or give Switchyard another port (${settingRef('port', runsIn)}).`,
  };
}

async function verdict(input: PortCheckInput): Promise<Verdict> {
  const runsIn = input.runsIn ?? 'headless';
  const { port, health } = input;
  const identity = switchyardIdentity(health);
  if (identity && identity.instanceId === input.ownInstanceId) return ok(`port ${port} is held by this Switchyard`, { port, pid: identity.pid });
  if (identity) {
    return {
      status: 'ok',
      cause: 'PORT_HELD_BY_OTHER_SWITCHYARD',
      summary: `port ${port} is held by another Switchyard (pid ${identity.pid}, e.g. another window): clients reach that one`,
      evidence: { port, pid: identity.pid, instanceId: identity.instanceId, version: identity.version },
    };
  }
  if (health.kind === 'refused') return ok(`port ${port} is free`, { port });
  const owner = await withTimeout<Owner | undefined>(findPortOwner(port).catch(() => undefined), input.deadline.budget(input.portOwnerMs), () => ({}));
  if (owner === undefined && health.kind === 'error') return ok(`nothing listens on port ${port}`, { port, connectError: health.code });
  return foreign(port, owner ?? {}, runsIn);
}

/** Says who holds the proxy's port. */
export async function checkPort(input: PortCheckInput): Promise<DiagnosticCheck> {
  const started = performance.now();
  return finding({ area: 'port', title: 'Port' }, await verdict(input), performance.now() - started);
}
