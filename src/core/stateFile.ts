// A small JSON file of key-free state (usage per day, the traffic history) kept across restarts: written atomically, off the request path.

import * as fs from 'node:fs';
import * as path from 'node:path';

export class StateFile {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string, private readonly onError: (message: string) => void) {}

  /** The saved value, or undefined when there is none or it cannot be read (a corrupt file is reported, then ignored). */
  read(): unknown {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(`${this.file} cannot be read (${(err as NodeJS.ErrnoException).code}); starting afresh`);
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      this.onError(`${this.file} is not valid JSON; starting afresh`);
      return undefined;
    }
  }

  /** Saves `value()` every `everyMs` while `changed()` says there is something new; the timer never keeps the process alive. */
  every(everyMs: number, changed: () => boolean, value: () => unknown): void {
    this.stop();
    this.timer = setInterval(() => {
      if (changed()) void this.write(value());
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes beside the file and renames over it, so a crash mid-write leaves the old file whole; mode 0600. */
  write(value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    this.writing = this.writing.then(async () => {
      const tmp = `${this.file}.${process.pid}.tmp`;
      try {
        await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
        await fs.promises.writeFile(tmp, text, { mode: 0o600 });
        await fs.promises.rename(tmp, this.file);
      } catch (err) {
        this.onError(`${this.file} cannot be written: ${(err as Error).message}`);
        await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      }
    });
    return this.writing;
  }
}
