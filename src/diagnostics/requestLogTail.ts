// Reads the recent end of the JSON-lines request log (and its last rotation) without loading whole files.

import { promises as fs } from 'node:fs';
import { RequestRecord } from '../core/log';

export interface RecentRecords {
  records: RequestRecord[];
  /** Files that existed and were read. */
  files: string[];
  /** Set when a file exists but could not be read. */
  error?: string;
}

const TAIL_BYTES = 2 * 1024 * 1024;

async function tail(file: string, maxBytes: number): Promise<string | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    const text = buf.toString('utf8');
    // Starting mid-file means the first line is partial.
    return length < size ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await handle.close();
  }
}

function parseLines(text: string, sinceMs: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as RequestRecord;
      if (typeof r.time === 'string' && Date.parse(r.time) >= sinceMs && Array.isArray(r.attempts)) out.push(r);
    } catch {
      // A line cut by a crash or by rotation: skip it.
    }
  }
  return out;
}

/** Records written at or after `sinceMs`, oldest first, from `file.1` and `file`. */
export async function readRecentRecords(file: string, sinceMs: number, maxBytesPerFile = TAIL_BYTES): Promise<RecentRecords> {
  const result: RecentRecords = { records: [], files: [] };
  for (const f of [`${file}.1`, file]) {
    try {
      const text = await tail(f, maxBytesPerFile);
      if (text === undefined) continue;
      result.files.push(f);
      result.records.push(...parseLines(text, sinceMs));
    } catch (err) {
      result.error = `${f}: ${(err as Error).message}`;
    }
  }
  return result;
}
