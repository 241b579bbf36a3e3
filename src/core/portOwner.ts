// Finds out who holds a TCP port: another Switchyard (asked over HTTP) or a foreign process (named by pid and program).

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { fetchHealth } from './adminClient';
import { portAcceptsConnections } from './ports';

export interface SwitchyardHealth {
  status: string;
  service: 'switchyard';
  instanceId: string;
  pid: number;
  version: string;
  port: number;
  startedAt: number;
}

export type PortHolder =
  | { kind: 'free' }
  | { kind: 'switchyard'; health: SwitchyardHealth }
  | { kind: 'foreign'; pid?: number; program?: string; command?: string };

function run(cmd: string, args: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, windowsHide: true }, (err, stdout) => resolve(err && !stdout ? '' : String(stdout)));
  });
}

/** Linux: the listening socket's inode from /proc/net/tcp{,6}, then the process whose fd points at it. */
async function linuxOwner(port: number): Promise<{ pid?: number; program?: string; command?: string } | undefined> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is cols[1] ("0100007F:1EB4"); state 0A is LISTEN; inode is cols[9].
      if (cols.length > 9 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  const pids = (await fs.readdir('/proc').catch(() => [] as string[])).filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1])) {
        const program = (await fs.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() || undefined;
        const command = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ').slice(0, 200) || undefined;
        return { pid: Number(pid), program, command };
      }
    }
  }
  return {};
}

async function lsofOwner(port: number): Promise<{ pid?: number; program?: string } | undefined> {
  const out = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']);
  const pid = /^p(\d+)/m.exec(out);
  const cmd = /^c(.+)$/m.exec(out);
  return pid ? { pid: Number(pid[1]), program: cmd?.[1] } : undefined;
}

async function netstatOwner(port: number): Promise<{ pid?: number; program?: string } | undefined> {
  const out = await run('netstat', ['-ano', '-p', 'TCP']);
  const line = out.split(/\r?\n/).find((l) => new RegExp(`:${port}\\s+\\S+\\s+LISTENING`).test(l));
  const pid = line ? Number(line.trim().split(/\s+/).pop()) : undefined;
  if (!pid) return undefined;
  const task = await run('tasklist', ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH']);
  const name = /^"([^"]+)"/.exec(task.trim());
  return { pid, program: name?.[1] };
}

/** The process listening on a local TCP port, where the OS lets us see it. */
export async function findPortOwner(port: number): Promise<{ pid?: number; program?: string; command?: string } | undefined> {
  if (process.platform === 'linux') return linuxOwner(port);
  if (process.platform === 'win32') return netstatOwner(port);
  return lsofOwner(port);
}

/** Who holds host:port right now. */
export async function whoHoldsPort(host: string, port: number): Promise<PortHolder> {
  const health = await fetchHealth(host, port);
  if (health) return { kind: 'switchyard', health };
  const owner = await findPortOwner(port);
  if (owner === undefined) {
    const open = await portAcceptsConnections(host, port);
    if (!open) return { kind: 'free' };
  }
  return { kind: 'foreign', ...(owner ?? {}) };
}

/** A sentence naming who holds a port, for errors and diagnostics. */
export function describeHolder(holder: PortHolder, port: number): string {
  if (holder.kind === 'free') return `port ${port} is free`;
  if (holder.kind === 'switchyard') return `port ${port} is held by another Switchyard (pid ${holder.health.pid}, instance ${holder.health.instanceId}, version ${holder.health.version})`;
  const who = holder.pid ? `${holder.program ?? 'a process'} (pid ${holder.pid}${holder.command ? `: ${holder.command}` : ''})` : 'another process (the OS did not say which)';
  return `port ${port} is held by ${who}`;
}
