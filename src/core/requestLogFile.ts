// Appends request records as JSON lines to a file and rotates it by size, without blocking the event loop.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { RequestRecord } from './log';

/** Expands a leading `~` to the home directory (the process's own unless one is given). */
export function expandHome(p: string, homeDir: string = process.env.HOME || process.env.USERPROFILE || ''): string {
  return p.startsWith('~') ? path.join(homeDir, p.slice(1)) : p;
}

export class RequestLogFile {
  private stream: fs.WriteStream | undefined;
  private size = 0;
  private rotating: Promise<void> | undefined;
  private pending: string[] = [];
  private failed = false;

  constructor(readonly file: string, private readonly maxBytes: number, private readonly keepFiles: number, private readonly onError: (message: string) => void) {}

  write(record: RequestRecord): void {
    const line = JSON.stringify(record) + '\n';
    if (this.failed) return;
    if (this.rotating) {
      this.pending.push(line);
      return;
    }
    this.open().write(line);
    this.size += Buffer.byteLength(line);
    if (this.size >= this.maxBytes) this.rotating = this.rotate();
  }

  /** Flushes and closes the file, after a rotation under way has finished. */
  async close(): Promise<void> {
    await this.rotating;
    await this.closeStream();
  }

  private closeStream(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.end(resolve));
  }

  private open(): fs.WriteStream {
    if (!this.stream) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      try {
        this.size = fs.statSync(this.file).size;
      } catch {
        this.size = 0;
      }
      this.stream = fs.createWriteStream(this.file, { flags: 'a', mode: 0o600 });
      this.stream.on('error', (err) => {
        this.failed = true;
        this.onError(`request log ${this.file} cannot be written: ${err.message}`);
      });
    }
    return this.stream;
  }

  private async rotate(): Promise<void> {
    try {
      await this.closeStream();
      for (let i = this.keepFiles - 1; i >= 1; i--) {
        await fs.promises.rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch(() => undefined);
      }
      await fs.promises.rename(this.file, `${this.file}.1`).catch(() => undefined);
      await fs.promises.rm(`${this.file}.${this.keepFiles + 1}`, { force: true });
      this.size = 0;
    } finally {
      this.rotating = undefined;
      const lines = this.pending;
      this.pending = [];
      if (lines.length > 0) {
        const joined = lines.join('');
        this.open().write(joined);
        this.size += Buffer.byteLength(joined);
      }
    }
  }
}
