// Keys in SecretStorage, one secret per endpoint holding a JSON list, cached in memory for the core's synchronous KeySource.

import * as vscode from 'vscode';
import type { SwitchyardConfig } from '../core/config';
import type { KeySource } from '../core/runtime';
import { SECRET_PREFIX } from './constants';
import { Disposable } from './dispose';
import { suffixOf } from './format';

export function secretKey(cluster: string, endpoint: string): string {
  return `${SECRET_PREFIX}${cluster}/${endpoint}`;
}

function parseList(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string' && t.length > 0) : [];
  } catch {
    return [];
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** SecretStorage-backed keys; `keysFor` answers from memory, writes go through one `store` per endpoint. */
export class SecretKeyStore extends Disposable implements KeySource {
  private readonly cache = new Map<string, string[]>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** Fires when the keys of any endpoint changed (here or in another window). */
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly secrets: vscode.SecretStorage) {
    super();
    this._register(
      secrets.onDidChange((e) => {
        // A failed read (locked keyring) keeps the cached keys; the next change event tries again.
        if (e.key.startsWith(SECRET_PREFIX)) this.serial(() => this.reloadSlot(e.key)).then(undefined, () => undefined);
      }),
    );
  }

  keysFor(cluster: string, endpoint: string): readonly string[] {
    return this.cache.get(secretKey(cluster, endpoint)) ?? [];
  }

  /** Reads the secrets of every endpoint of `config` not read yet. */
  async load(config: SwitchyardConfig): Promise<void> {
    const missing = config.clusters.flatMap((c) => c.endpoints.map((e) => secretKey(c.name, e.name))).filter((k) => !this.cache.has(k));
    if (missing.length === 0) return;
    const values = await Promise.all(missing.map((k) => this.secrets.get(k).then(parseList, () => [])));
    missing.forEach((k, i) => {
      if (!this.cache.has(k)) this.cache.set(k, values[i]);
    });
  }

  /** Adds keys (duplicates ignored) in one write; resolves with how many were new. */
  add(cluster: string, endpoint: string, keys: readonly string[]): Promise<{ added: number; duplicates: number }> {
    return this.serial(async () => {
      const slot = secretKey(cluster, endpoint);
      const current = this.cache.get(slot) ?? parseList(await this.secrets.get(slot));
      const next = [...new Set([...current, ...keys])];
      const added = next.length - current.length;
      if (added > 0) await this.write(slot, next);
      return { added, duplicates: keys.length - added };
    });
  }

  /** Removes the keys that end with `suffix` (`…a1b2` or `a1b2`); resolves with how many went. */
  remove(cluster: string, endpoint: string, suffix: string): Promise<number> {
    return this.serial(async () => {
      const slot = secretKey(cluster, endpoint);
      const bare = suffix.replace(/^…/, '');
      const current = this.cache.get(slot) ?? parseList(await this.secrets.get(slot));
      const kept = current.filter((k) => !k.endsWith(bare));
      if (kept.length !== current.length) await this.write(slot, kept);
      return current.length - kept.length;
    });
  }

  /** Forgets every key of an endpoint (when the endpoint is removed). */
  clear(cluster: string, endpoint: string): Promise<void> {
    return this.serial(() => this.write(secretKey(cluster, endpoint), []));
  }

  /** Key suffixes per endpoint, for pickers. */
  suffixes(cluster: string, endpoint: string): string[] {
    return this.keysFor(cluster, endpoint).map(suffixOf);
  }

  private async write(slot: string, keys: string[]): Promise<void> {
    if (keys.length === 0) await this.secrets.delete(slot);
    else await this.secrets.store(slot, JSON.stringify(keys));
    this.cache.set(slot, keys);
    this._onDidChange.fire();
  }

  private async reloadSlot(slot: string): Promise<void> {
    const next = parseList(await this.secrets.get(slot));
    const prev = this.cache.get(slot) ?? [];
    if (sameList(prev, next)) return;
    this.cache.set(slot, next);
    this._onDidChange.fire();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
