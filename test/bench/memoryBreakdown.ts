// Splits a process's memory into RSS (anonymous vs file-backed) and V8's own view (heap spaces, external, array buffers) via the inspector.

import { memoryMap, MemoryMap } from './children';
import { InspectorSession } from './inspector';

export interface HeapSpace {
  name: string;
  sizeBytes: number;
  usedBytes: number;
}

export interface MemoryBreakdown extends MemoryMap {
  heapTotalBytes: number;
  heapUsedBytes: number;
  /** C++ memory V8 is told about (Buffers' backing stores among it). */
  externalBytes: number;
  arrayBuffersBytes: number;
  /** Memory V8 itself malloc'ed outside the heap (parser, compiler zones). */
  mallocedBytes: number;
  /** Committed heap pages that are resident. */
  heapPhysicalBytes: number;
  spaces: HeapSpace[];
}

/** Runs in the child: everything V8 and Node say about their memory. `require` is a global under -e, else the main module's. */
const EXPRESSION = `(() => {
  const v8 = (globalThis.require || process.mainModule.require)('v8');
  const u = process.memoryUsage();
  const h = v8.getHeapStatistics();
  const spaces = v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, sizeBytes: s.space_size, usedBytes: s.space_used_size }));
  return { heapTotalBytes: u.heapTotal, heapUsedBytes: u.heapUsed, externalBytes: u.external, arrayBuffersBytes: u.arrayBuffers, mallocedBytes: h.malloced_memory, heapPhysicalBytes: h.total_physical_size, spaces };
})()`;

/** Reads the breakdown now; with `gcFirst`, after two full GCs (garbage gone, heap sizes as V8 keeps them). */
export async function memoryBreakdown(session: InspectorSession, pid: number, gcFirst: boolean): Promise<MemoryBreakdown> {
  if (gcFirst) await session.collect();
  const v8 = await session.evaluate<Omit<MemoryBreakdown, keyof MemoryMap>>(EXPRESSION);
  return { ...memoryMap(pid), ...v8 };
}

const MB = 1024 * 1024;
const mbText = (b: number) => `${(b / MB).toFixed(1)}`.padStart(7);

/** Columns side by side for several moments of one or more processes. */
export function formatBreakdowns(rows: { label: string; m: MemoryBreakdown }[]): string {
  const spaceNames = [...new Set(rows.flatMap((r) => r.m.spaces.filter((s) => s.sizeBytes > 0).map((s) => s.name)))];
  const width = Math.max(10, ...rows.map((r) => r.label.length)) + 2;
  const line = (name: string, pick: (m: MemoryBreakdown) => number) => `  ${name.padEnd(38)}${rows.map((r) => mbText(pick(r.m)).padStart(width)).join('')}`;
  return [
    `  ${'MB'.padEnd(38)}${rows.map((r) => r.label.padStart(width)).join('')}`,
    line('RSS (VmRSS)', (m) => m.rssBytes),
    line('  anonymous', (m) => m.anonymousBytes),
    line('  file-backed (node binary, libs)', (m) => m.fileBytes),
    line('V8 heap committed (heapTotal)', (m) => m.heapTotalBytes),
    line('  resident of it', (m) => m.heapPhysicalBytes),
    line('  used (heapUsed)', (m) => m.heapUsedBytes),
    ...spaceNames.flatMap((n) => {
      const space = (m: MemoryBreakdown) => m.spaces.find((s) => s.name === n);
      return [line(`    ${n} size`, (m) => space(m)?.sizeBytes ?? NaN), line(`    ${n} used`, (m) => space(m)?.usedBytes ?? NaN)];
    }),
    line('external (Buffers etc.)', (m) => m.externalBytes),
    line('  arrayBuffers', (m) => m.arrayBuffersBytes),
    line('V8 malloced (outside the heap)', (m) => m.mallocedBytes),
    line('anonymous − heap resident − external', (m) => m.anonymousBytes - m.heapPhysicalBytes - m.externalBytes),
  ].join('\n');
}
