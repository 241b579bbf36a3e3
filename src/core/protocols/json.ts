// Cheap reads of a few fields from JSON text without parsing all of it (response bodies and stream events may be large).

/** The end of the JSON value starting at `start` (an object or array), or -1 when it does not end in `text`. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** The object value of the last `"key": {…}` in `text`, parsed; undefined when absent, null or cut off. */
export function lastObject(text: string, key: string): Record<string, unknown> | undefined {
  const needle = `"${key}"`;
  for (let at = text.lastIndexOf(needle); at !== -1; at = at > 0 ? text.lastIndexOf(needle, at - 1) : -1) {
    let i = at + needle.length;
    while (i < text.length && (text[i] === ' ' || text[i] === ':' || text[i] === '\n' || text[i] === '\t' || text[i] === '\r')) i++;
    if (text[i] !== '{') continue;
    const end = valueEnd(text, i);
    if (end === -1) continue;
    try {
      return JSON.parse(text.slice(i, end)) as Record<string, unknown>;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** One compiled pattern per key and kind: these run per response and per stream event, and the keys are a handful of constants. */
const patterns = { string: new Map<string, RegExp>(), number: new Map<string, RegExp>() };
function pattern(kind: 'string' | 'number', key: string): RegExp {
  let re = patterns[kind].get(key);
  if (!re) {
    re = kind === 'string' ? new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){0,2000})"`) : new RegExp(`"${key}"\\s*:\\s*(-?\\d+(?:\\.\\d+)?)`);
    patterns[kind].set(key, re);
  }
  return re;
}

/** The first string value of `"key": "…"` in `text` (unescaped), or undefined. */
export function firstString(text: string, key: string): string | undefined {
  const m = pattern('string', key).exec(text);
  if (!m) return undefined;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return m[1];
  }
}

/** The first number value of `"key": n` in `text`, or undefined. */
export function firstNumber(text: string, key: string): number | undefined {
  const m = pattern('number', key).exec(text);
  return m ? Number(m[1]) : undefined;
}

/** A non-negative integer field of a parsed object, or null. */
export function count(o: unknown, key: string): number | null {
  const v = o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/** A nested object field of a parsed object, or undefined. */
export function child(o: unknown, key: string): Record<string, unknown> | undefined {
  const v = o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
