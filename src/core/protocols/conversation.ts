// What every adapter's conversation key is built from: a short hash of the signal, and the bounded pieces of a body an opening hash reads.

import { createHash } from 'node:crypto';

/** Which conversation a turn belongs to, and the signal that said so (named in tests, logs and the dashboard). */
export interface ConversationKey {
  /** A short hash: the map never holds session ids or prompt text. */
  key: string;
  signal: string;
}

export function conversationKey(family: string, signal: string, value: string): ConversationKey {
  return { key: createHash('sha256').update(`${family}\u0000${signal}\u0000${value}`).digest('base64url').slice(0, 22), signal };
}

/** An opening is only hashed from this much text of each piece: a stable prefix, read without parsing the rest of the body. */
const PIECE_LIMIT = 16 * 1024;

/** The text of the JSON value (an object, array or string) that starts at `start`, or undefined when it does not end within the limit. */
function valueText(text: string, start: number): string | undefined {
  const open = text[start];
  if (open === '"') {
    for (let i = start + 1; i < text.length && i - start < PIECE_LIMIT; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') return text.slice(start, i + 1);
    }
    return undefined;
  }
  if (open !== '{' && open !== '[') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length && i - start < PIECE_LIMIT; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** The JSON text of the top-level-looking `"key": <value>` (first occurrence), bounded; undefined when absent or too long. */
export function boundedValue(window: string, key: string): string | undefined {
  const at = window.indexOf(`"${key}"`);
  if (at === -1) return undefined;
  let i = skipSpace(window, at + key.length + 2);
  if (window[i] !== ':') return undefined;
  i = skipSpace(window, i + 1);
  return valueText(window, i);
}

/** The first `n` elements of the JSON array value of `"key"`, each bounded (the opening messages of a conversation). */
export function leadingElements(window: string, key: string, n: number): string[] {
  const at = window.indexOf(`"${key}"`);
  if (at === -1) return [];
  let i = skipSpace(window, at + key.length + 2);
  if (window[i] !== ':') return [];
  i = skipSpace(window, i + 1);
  if (window[i] !== '[') return [];
  const out: string[] = [];
  i = skipSpace(window, i + 1);
  while (out.length < n && i < window.length && window[i] !== ']') {
    const el = valueText(window, i);
    if (el === undefined) break;
    out.push(el);
    i = skipSpace(window, i + el.length);
    if (window[i] === ',') i = skipSpace(window, i + 1);
  }
  return out;
}

/**
 * The words of a piece of JSON (a string, a content-block array, a message), whatever its shape:
 * clients resend the same message as a string one turn and as text blocks the next, so only the text counts.
 */
export function textOf(json: string | undefined): string {
  if (json === undefined) return '';
  try {
    const out: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') out.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        for (const k of ['text', 'content', 'input_text']) if (k in o) walk(o[k]);
      }
    };
    walk(JSON.parse(json));
    return out.join('\n');
  } catch {
    return '';
  }
}

/** A string header's value, trimmed; undefined when absent or empty. */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim() : undefined;
}
