// A request body read where its top-level keys sit (its head and its tail) by native searches on the bytes: no copy of the body, no parse.

/**
 * Where top-level keys are looked for, in order: the first and last 4 KB (clients put `model` first and
 * `stream` last, after the big arrays), then the first and last 64 KB. A 30 MB body is never scanned or
 * decoded whole, and a typical one is searched in 8 KB.
 */
const NEAR = 4 * 1024;
const WINDOW = 64 * 1024;
const needles = new Map<string, Buffer>();

function needle(key: string): Buffer {
  let n = needles.get(key);
  if (!n) {
    n = Buffer.from(`"${key}"`, 'latin1');
    needles.set(key, n);
  }
  return n;
}

export class BodyView {
  constructor(readonly body: Buffer | null) {}

  /** The bytes right after the first `"key"` in the head window, else in the tail window, decoded: at most `len` of them. */
  after(key: string, len: number): string | undefined {
    const body = this.body;
    if (!body || body.length === 0) return undefined;
    const n = needle(key);
    const at = this.find(n);
    if (at === -1) return undefined;
    const start = at + n.length;
    // latin1 is a cheap one-to-one decoding; keys and ids are ASCII, and text is only hashed.
    return body.toString('latin1', start, Math.min(body.length, start + len));
  }

  /** Where the needle is in the nearest window that holds it (see NEAR); -1 when none does. */
  private find(n: Buffer): number {
    const body = this.body!;
    const len = body.length;
    // A window already inside those searched is not searched again; a body this small is one window.
    if (len <= 2 * NEAR) return body.indexOf(n);
    let at = body.subarray(0, NEAR).indexOf(n);
    if (at !== -1) return at;
    at = body.indexOf(n, len - NEAR);
    if (at !== -1) return at;
    if (len <= WINDOW) return body.indexOf(n);
    at = body.subarray(0, WINDOW).indexOf(n);
    if (at !== -1) return at;
    return body.indexOf(n, len - WINDOW);
  }

  /** The string value of `"key": "…"`, unescaped; undefined when absent or not a string. */
  string(key: string, maxLength = 2000): string | undefined {
    const m = /^\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(this.after(key, maxLength + 16) ?? '');
    if (!m) return undefined;
    try {
      return JSON.parse(`"${m[1]}"`) as string;
    } catch {
      return m[1];
    }
  }

  /** The whole-number value of `"key": 123`; undefined when absent or not a whole number. */
  integer(key: string): number | undefined {
    const m = /^\s*:\s*(\d{1,9})\b/.exec(this.after(key, 24) ?? '');
    return m ? Number(m[1]) : undefined;
  }

  /** Whether `"key": true`. */
  isTrue(key: string): boolean {
    return /^\s*:\s*true/.test(this.after(key, 16) ?? '');
  }

  /** Whether `"key"` occurs anywhere in the body: a whole-body search (about a microsecond per 50 KB), asked only when it matters. */
  containsKey(key: string): boolean {
    return this.body !== null && this.body.indexOf(needle(key)) !== -1;
  }
}
