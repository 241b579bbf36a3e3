// Reads a .cpuprofile (mapping bundled code back through its source map) and tallies self and total time by area, file and function.

import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Tally {
  key: string;
  /** For functions: the file they are in. */
  file?: string;
  selfMs: number;
  totalMs: number;
}

export interface ProfileSummary {
  wallMs: number;
  /** Sampled time that was not "(idle)". */
  busyMs: number;
  byArea: Tally[];
  byFile: Tally[];
  byFunction: Tally[];
}

/** Where a frame's code really lives: its source-mapped file and line, relative to `root`. */
interface Place {
  file: string;
  line: number;
  name: string;
}

const ROOT = path.resolve(__dirname, '../../..');

function sourceMapOf(file: string): SourceMap | undefined {
  const map = `${file}.map`;
  if (!fs.existsSync(map)) return undefined;
  return new SourceMap(JSON.parse(fs.readFileSync(map, 'utf8')));
}

function placer(root: string): (f: CallFrame) => Place {
  const maps = new Map<string, SourceMap | undefined>();
  const cache = new Map<string, Place>();
  return (f) => {
    const id = `${f.url}:${f.lineNumber}:${f.columnNumber}:${f.functionName}`;
    const hit = cache.get(id);
    if (hit) return hit;
    let place: Place;
    if (!f.url) {
      // V8's own entries ("(garbage collector)", "(program)") or a native function called from JS.
      place = { file: f.functionName.startsWith('(') ? f.functionName : '(native)', line: 0, name: f.functionName || '(anonymous)' };
    } else if (!f.url.startsWith('file:')) {
      place = { file: f.url, line: f.lineNumber + 1, name: f.functionName || '(anonymous)' };
    } else {
      const file = fileURLToPath(f.url);
      if (!maps.has(file)) maps.set(file, sourceMapOf(file));
      const entry = maps.get(file)?.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
      if (entry?.originalSource) {
        const original = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
        place = { file: path.relative(root, original), line: (entry.originalLine ?? 0) + 1, name: f.functionName || '(anonymous)' };
      } else {
        place = { file: path.relative(root, file), line: f.lineNumber + 1, name: f.functionName || '(anonymous)' };
      }
    }
    cache.set(id, place);
    return place;
  };
}

/** A coarse bucket: Switchyard's own code, undici, Node's HTTP, streams, net, GC and so on. */
export function areaOf(file: string): string {
  if (file.startsWith('src/core/')) return 'switchyard src/core';
  if (file.startsWith('src/')) return 'switchyard src (other)';
  if (file.includes('node_modules/undici/')) return 'undici (bundled)';
  if (file.includes('node_modules/')) return `npm: ${file.split('node_modules/')[1].split('/')[0]}`;
  if (file.startsWith('test/') || file.startsWith('out/test/')) return 'bench script';
  if (/^node:_http_|^node:internal\/http|^node:http/.test(file)) return 'node http';
  if (/^node:internal\/streams|^node:stream/.test(file)) return 'node streams';
  if (/^node:net|^node:internal\/(net|stream_base_commons|dns)/.test(file)) return 'node net';
  if (/^node:internal\/(timers|process\/task_queues)|^node:timers/.test(file)) return 'node timers + ticks';
  if (/^node:(events|internal\/event_target)/.test(file)) return 'node events';
  if (file.startsWith('node:')) return 'node (other)';
  if (file.startsWith('wasm://')) return 'wasm (undici\'s llhttp parser)';
  if (file === '(garbage collector)') return 'GC';
  if (file === '(idle)') return 'idle';
  if (file === '(program)') return 'program (V8/native, no JS frame)';
  if (file === '(native)') return 'native functions';
  if (file === '(root)') return 'root';
  return 'other';
}

function sorted(m: Map<string, { self: number; total: number; file?: string }>): Tally[] {
  return [...m.entries()].map(([key, v]) => ({ key, file: v.file, selfMs: v.self / 1000, totalMs: v.total / 1000 })).sort((a, b) => b.selfMs - a.selfMs);
}

/** Self time goes to the sampled frame; total time to every distinct file/function/area on its stack (recursion counted once). */
export function summarise(profile: CpuProfile, root = ROOT): ProfileSummary {
  const place = placer(root);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const area = new Map<string, { self: number; total: number }>();
  const file = new Map<string, { self: number; total: number }>();
  const fn = new Map<string, { self: number; total: number; file?: string }>();
  const fileOfFn = new Map<string, string>();
  const add = (m: Map<string, { self: number; total: number; file?: string }>, key: string, self: number, total: number) => {
    const v = m.get(key) ?? { self: 0, total: 0, file: m === fn ? fileOfFn.get(key) : undefined };
    v.self += self;
    v.total += total;
    m.set(key, v);
  };
  let busy = 0;
  const stackCache = new Map<number, { areas: string[]; files: string[]; fns: string[] }>();
  const stackOf = (id: number) => {
    let s = stackCache.get(id);
    if (s) return s;
    const areas = new Set<string>();
    const files = new Set<string>();
    const fns = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const p = place(byId.get(cur)!.callFrame);
      if (p.file === '(root)') continue;
      areas.add(areaOf(p.file));
      files.add(p.file);
      const key = `${p.name} ${p.file}:${p.line}`;
      fileOfFn.set(key, p.file);
      fns.add(key);
    }
    s = { areas: [...areas], files: [...files], fns: [...fns] };
    stackCache.set(id, s);
    return s;
  };
  const n = profile.samples.length;
  for (let i = 0; i < n; i++) {
    // timeDeltas[i] is the time since the previous sample: charge it to the one the interval ended on.
    const dt = profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i];
    const top = place(byId.get(id)!.callFrame);
    if (top.file !== '(idle)') busy += dt;
    const s = stackOf(id);
    const topFn = `${top.name} ${top.file}:${top.line}`;
    for (const a of s.areas) add(area, a, a === areaOf(top.file) ? dt : 0, dt);
    for (const f of s.files) add(file, f, f === top.file ? dt : 0, dt);
    for (const f of s.fns) add(fn, f, f === topFn ? dt : 0, dt);
  }
  return { wallMs: (profile.endTime - profile.startTime) / 1000, busyMs: busy / 1000, byArea: sorted(area), byFile: sorted(file), byFunction: sorted(fn) };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
}

function table(title: string, rows: Tally[], busyMs: number, top: number, byTotal = false): string {
  const list = [...rows].sort((a, b) => (byTotal ? b.totalMs - a.totalMs : b.selfMs - a.selfMs)).filter((r) => r.key !== 'idle' && !r.key.startsWith('(idle)')).slice(0, top);
  const pct = (ms: number) => `${((ms / busyMs) * 100).toFixed(1)}%`.padStart(6);
  const lines = list.map((r) => `  ${pct(r.selfMs)} ${r.selfMs.toFixed(0).padStart(7)} ms self  ${pct(r.totalMs)} ${r.totalMs.toFixed(0).padStart(7)} ms total  ${r.key}`);
  return [`${title} (share of busy time):`, ...lines].join('\n');
}

/** The text the bench prints and saves: by area, by file, by function (self), by function (total). */
export function formatSummary(name: string, s: ProfileSummary, top = 25): string {
  return [
    `${name}: ${s.wallMs.toFixed(0)} ms profiled, ${s.busyMs.toFixed(0)} ms busy (not idle)`,
    table('by area', s.byArea, s.busyMs, 20),
    table('by file', s.byFile, s.busyMs, top),
    table('by function, self time', s.byFunction, s.busyMs, top),
    table('by function, total time', s.byFunction, s.busyMs, top, true),
  ].join('\n\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node out/test/bench/cpuProfileSummary.js FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(path.basename(file), summarise(readProfile(file)), top ? Number(top) : 25)}\n`);
}
