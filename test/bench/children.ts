// Starts the bench's child processes (upstream, proxies), waits for their address, and kills them all on any exit.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Base URL it listens on. */
  url: string;
  /** File holding its stderr. */
  logFile: string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  /** Directory for the stderr log file. */
  dir: string;
  /** Matches the ready line on stdout; group 1 is the URL. Omit to be given `url` instead. */
  ready?: RegExp;
  url?: string;
  /** Waits until this resolves instead of a stdout line (e.g. polling a port). */
  waitReady?: () => Promise<void>;
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** A temp dir that is removed with the children, however the bench ends. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Kills every child still running and removes the temp dirs (SIGKILL: used from exit handlers, where nothing async may run). */
export function killAllNow(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  live.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

let installed = false;

/** Makes sure children die with the bench: normal exit, Ctrl-C, SIGTERM, or an error. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping child processes\n`);
      killAllNow();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    killAllNow();
    process.exit(1);
  });
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

export async function spawnChild(o: SpawnOptions): Promise<Child> {
  const logFile = path.join(o.dir, `${o.name}.stderr.log`);
  const errFd = fs.openSync(logFile, 'w');
  // stdin stays a pipe: our own child scripts exit when it closes, so they cannot outlive the bench.
  const proc = spawn(o.command, o.args, { stdio: ['pipe', 'pipe', errFd] });
  fs.closeSync(errFd);
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  const exited = new Promise<never>((_, reject) => {
    proc.once('exit', (code, signal) => reject(new Error(`${o.name} exited early (code ${code}, signal ${signal}):\n${tail(logFile)}`)));
    proc.once('error', (err) => reject(new Error(`${o.name} could not start: ${err.message}`)));
  });
  exited.catch(() => undefined);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const readyUrl = new Promise<string>((resolve, reject) => {
    if (o.waitReady) {
      o.waitReady().then(() => resolve(o.url ?? ''), reject);
      return;
    }
    let seen = '';
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      seen += chunk;
      const m = o.ready?.exec(seen);
      if (m) resolve(m[1]);
    });
  });
  proc.stdout!.resume();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${o.name} not ready after ${timeoutMs} ms:\n${tail(logFile)}`)), timeoutMs);
  });
  try {
    const url = await Promise.race([readyUrl, exited, timeout]);
    return {
      name: o.name,
      proc,
      pid: proc.pid!,
      url,
      logFile,
      stop: () => stopChild(proc),
    };
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if it has not exited within a second. */
function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => proc.kill('SIGKILL'), 1000);
    proc.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    proc.kill('SIGTERM');
    proc.stdin?.end();
  });
}

export { freePort } from '../../src/core/ports';

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resident set size of a process from /proc (bytes), or NaN off Linux. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used so far, in µs, from /proc/<pid>/stat (10 ms ticks); NaN off Linux. */
export function cpuMicros(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

/** Open file descriptors of a process (sockets included), or NaN off Linux. */
export function openFds(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

export interface MemoryMap {
  rssBytes: number;
  /** Anonymous memory: the V8 heap, malloc, stacks, JIT code. */
  anonymousBytes: number;
  /** File-backed resident pages: mostly the node binary and shared libraries (shared with every other node process). */
  fileBytes: number;
}

/** RSS split into anonymous and file-backed pages, from /proc/<pid>/smaps_rollup (NaN off Linux). */
export function memoryMap(pid: number): MemoryMap {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    const rss = field('Rss');
    const anonymous = field('Anonymous');
    return { rssBytes: rss, anonymousBytes: anonymous, fileBytes: rss - anonymous };
  } catch {
    return { rssBytes: NaN, anonymousBytes: NaN, fileBytes: NaN };
  }
}

export interface MachineCpu {
  /** user + nice + system + steal over all cores, µs: what processes ran. */
  processMicros: number;
  /** irq + softirq, µs: on loopback mostly the kernel's TCP work for our own connections, charged to no process. */
  interruptMicros: number;
}

/** CPU time the whole machine has used so far (all cores), from /proc/stat; NaN off Linux. */
export function machineCpu(): MachineCpu {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return { processMicros: (user + nice + system + steal) * 10_000, interruptMicros: (irq + softirq) * 10_000 };
  } catch {
    return { processMicros: NaN, interruptMicros: NaN };
  }
}

/** How busy the machine is with nothing of the bench's running yet: processes' CPU over `ms`, as a share of one core. */
export async function idleMachineBusy(ms = 1000): Promise<number> {
  const a = machineCpu();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineCpu();
  return (b.processMicros - a.processMicros + b.interruptMicros - a.interruptMicros) / (ms * 1000);
}
