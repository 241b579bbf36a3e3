// The headless key store: keys per endpoint in a 0600 JSON file, written atomically (temp file + rename).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeySource } from './runtime';
import { expandHome } from './requestLogFile';

export const DEFAULT_KEY_FILE = '~/.switchyard/keys.json';
/** Where the default key file was before 0.2: still read (and written) when it exists and the new one does not. */
const OLDER_DEFAULT_KEY_FILE = '~/.switchyard/tokens.json';

/** The key file to use for `file`: the default one falls back to its older name when only that exists. */
export function keyFilePath(file: string = DEFAULT_KEY_FILE): string {
  const chosen = expandHome(file);
  if (file !== DEFAULT_KEY_FILE || fs.existsSync(chosen)) return chosen;
  const older = expandHome(OLDER_DEFAULT_KEY_FILE);
  return fs.existsSync(older) ? older : chosen;
}

type TokenMap = Record<string, string[]>;

function slot(cluster: string, endpoint: string): string {
  return `${cluster}/${endpoint}`;
}

/** Keys kept in memory after one read; writes go to disk atomically with mode 0600. */
export class KeyFile implements KeySource {
  private tokens: TokenMap = {};
  /** Saves run one after another so two quick edits cannot land on disk out of order. */
  private saving: Promise<void> = Promise.resolve();
  readonly file: string;

  constructor(file: string = DEFAULT_KEY_FILE) {
    this.file = keyFilePath(file);
    this.reload();
  }

  /** Re-reads the file; a missing file means no keys, a corrupt one is reported by name. */
  reload(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      this.tokens = {};
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`${this.file} is not valid JSON (${(err as Error).message}); fix or remove it`);
    }
    this.tokens = {};
    if (typeof parsed === 'object' && parsed !== null) {
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
        if (Array.isArray(v)) this.tokens[k] = v.filter((t): t is string => typeof t === 'string');
      }
    }
  }

  keysFor(cluster: string, endpoint: string): readonly string[] {
    return this.tokens[slot(cluster, endpoint)] ?? [];
  }

  /** Adds keys (duplicates ignored); returns how many were new. */
  async add(cluster: string, endpoint: string, keys: string[]): Promise<number> {
    const current = new Set(this.keysFor(cluster, endpoint));
    const before = current.size;
    for (const k of keys) current.add(k);
    this.tokens[slot(cluster, endpoint)] = [...current];
    await this.save();
    return current.size - before;
  }

  /** Removes the keys whose value ends with the given suffix; returns how many went. */
  async remove(cluster: string, endpoint: string, suffix: string): Promise<number> {
    const bare = suffix.replace(/^\u2026/, '');
    if (bare.length < 4) throw new Error('give at least the last 4 characters of the key to remove');
    const current = this.keysFor(cluster, endpoint);
    const kept = current.filter((k) => !k.endsWith(bare));
    this.tokens[slot(cluster, endpoint)] = kept;
    await this.save();
    return current.length - kept.length;
  }

  private save(): Promise<void> {
    const next = this.saving.then(() => this.write());
    this.saving = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(this.tokens, null, 2), { mode: 0o600 });
    await fs.promises.rename(tmp, this.file);
  }
}
