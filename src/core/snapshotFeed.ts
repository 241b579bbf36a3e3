// The core's state as a versioned, immutable snapshot pushed to whoever listens: rebuilt only when something changed, emitted a few times a second at most.

export type Versioned<T> = T & {
  /** Grows by one with every snapshot built; a reader can tell a newer one from an older. */
  version: number;
  /** When it was built (ms since the epoch). */
  at: number;
};

/**
 * Holds the latest snapshot of `build()`. `invalidate()` marks it stale (called on every health change,
 * so it must be cheap); `current()` rebuilds a stale one; listeners get one at most every `throttleMs`,
 * and none while nothing changes.
 */
export class SnapshotFeed<T extends object> {
  private latest: Versioned<T> | undefined;
  private stale = true;
  private version = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastEmit = 0;
  private readonly listeners = new Set<(s: Versioned<T>) => void>();

  constructor(private readonly build: () => T, private throttleMs = 250) {}

  setThrottle(ms: number): void {
    this.throttleMs = ms;
  }

  current(): Versioned<T> {
    if (this.stale || !this.latest) {
      this.stale = false;
      this.latest = Object.freeze({ ...this.build(), version: ++this.version, at: Date.now() });
    }
    return this.latest;
  }

  invalidate(): void {
    this.stale = true;
    if (this.listeners.size === 0 || this.timer) return;
    const wait = Math.max(0, this.lastEmit + this.throttleMs - Date.now());
    this.timer = setTimeout(() => this.emit(), wait);
    // A pending snapshot must not keep a stopping process alive.
    this.timer.unref?.();
  }

  /** Every new snapshot, throttled; returns the unsubscribe function. */
  subscribe(listener: (s: Versioned<T>) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Sends the snapshot now if it changed (shutdown, a mode change someone is waiting for). */
  flush(): void {
    if (this.stale) this.emit();
  }

  private emit(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastEmit = Date.now();
    const s = this.current();
    for (const l of this.listeners) l(s);
  }
}
