// Tallies a V8 heap snapshot by constructor name (count and self size) and diffs two of them, largest growth first.

import * as fs from 'node:fs';

export interface ConstructorTally {
  name: string;
  count: number;
  selfBytes: number;
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** How DevTools' Summary view groups nodes: objects by constructor, the rest by kind in parentheses. */
function groupOf(type: string, name: string): string | undefined {
  switch (type) {
    case 'object':
    case 'native':
      return name;
    case 'closure':
      return '(closure)';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'array':
      return '(array)';
    case 'code':
      return '(compiled code)';
    case 'hidden':
    case 'object shape':
      return '(system)';
    case 'number':
    case 'heap number':
      return '(number)';
    case 'synthetic':
      return undefined;
    default:
      return `(${type})`;
  }
}

export function tallyByConstructor(snapshotText: string): Map<string, ConstructorTally> {
  const s = JSON.parse(snapshotText) as SnapshotJson;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, ConstructorTally>();
  for (let i = 0; i < s.nodes.length; i += stride) {
    const group = groupOf(types[s.nodes[i + typeAt]], s.strings[s.nodes[i + nameAt]]);
    if (group === undefined) continue;
    const t = out.get(group) ?? { name: group, count: 0, selfBytes: 0 };
    t.count++;
    t.selfBytes += s.nodes[i + sizeAt];
    out.set(group, t);
  }
  return out;
}

export function totalBytes(t: Map<string, ConstructorTally>): number {
  let n = 0;
  for (const v of t.values()) n += v.selfBytes;
  return n;
}

/** `after − before` per constructor, sorted by the growth in bytes. */
export function diffTallies(before: Map<string, ConstructorTally>, after: Map<string, ConstructorTally>): ConstructorTally[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names]
    .map((name) => ({ name, count: (after.get(name)?.count ?? 0) - (before.get(name)?.count ?? 0), selfBytes: (after.get(name)?.selfBytes ?? 0) - (before.get(name)?.selfBytes ?? 0) }))
    .sort((a, b) => b.selfBytes - a.selfBytes);
}

/** Rows as text; `per` divides counts and sizes (e.g. by the number of streams) for a per-unit column. */
export function formatTallies(rows: ConstructorTally[], top: number, per?: { n: number; unit: string }): string {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const head = `  ${'constructor'.padEnd(40)}${'count'.padStart(9)}${'self size'.padStart(12)}${per ? `${`count/${per.unit}`.padStart(14)}${`bytes/${per.unit}`.padStart(14)}` : ''}`;
  const lines = rows.slice(0, top).map((r) => {
    const extra = per ? `${(r.count / per.n).toFixed(1).padStart(14)}${(r.selfBytes / per.n).toFixed(0).padStart(14)}` : '';
    return `  ${r.name.slice(0, 39).padEnd(40)}${String(r.count).padStart(9)}${kb(r.selfBytes).padStart(12)}${extra}`;
  });
  return [head, ...lines].join('\n');
}

if (require.main === module) {
  const [a, b, top] = process.argv.slice(2);
  if (!a) {
    process.stderr.write('usage: node out/test/bench/heapSnapshotSummary.js FILE.heapsnapshot [AFTER.heapsnapshot] [TOP]\n');
    process.exit(2);
  }
  const first = tallyByConstructor(fs.readFileSync(a, 'utf8'));
  const rows = b ? diffTallies(first, tallyByConstructor(fs.readFileSync(b, 'utf8'))) : [...first.values()].sort((x, y) => y.selfBytes - x.selfBytes);
  process.stdout.write(`${formatTallies(rows, top ? Number(top) : 30)}\n`);
}
