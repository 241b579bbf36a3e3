// What every adapter's conversation key is built from: a short hash of the signal, and the bounded pieces of a body an opening hash reads.

import { createHash } from 'node:crypto';

/** Which conversation a turn belongs to, and the signal that said so (named in tests, logs and the dashboard). */
export interface ConversationKey {
  /** The signal's own short value (a session id), or a hash of longer ones: the map never holds prompt text. */
  key: string;
  signal: string;
}

/** Signal values up to this long are kept as they are (session ids, cache keys); longer ones are hashed. */
const PLAIN_VALUE_MAX = 96;

export function conversationKey(family: string, signal: string, value: string): ConversationKey {
  const key = value.length <= PLAIN_VALUE_MAX ? `${family}:${signal}:${value}` : `${family}:${signal}#${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`;
  return { key, signal };
}

/** The end of the JSON value (an object, array or string) that starts at `start`, or -1 when it does not end within the text. */
function valueEnd(text: string, start: number): number {
  const open = text[start];
  if (open === '"') {
    for (let i = text.indexOf('"', start + 1); i !== -1; i = text.indexOf('"', i + 1)) {
      let backslashes = 0;
      while (text[i - 1 - backslashes] === '\\') backslashes++;
      if (backslashes % 2 === 0) return i + 1;
    }
    return -1;
  }
  if (open !== '{' && open !== '[') return -1;
  // Jump from one structural character to the next with a native search instead of walking every character.
  const structural = /["{}[\]]/g;
  structural.lastIndex = start;
  let depth = 0;
  for (let m = structural.exec(text); m; m = structural.exec(text)) {
    const c = m[0];
    if (c === '"') {
      const end = valueEnd(text, m.index);
      if (end === -1) return -1;
      structural.lastIndex = end;
    } else if (c === '{' || c === '[') depth++;
    else if (--depth === 0) return m.index + 1;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** Where the value starts in the text right after a key (`: value`), or -1. */
function valueStart(afterKey: string): number {
  const i = skipSpace(afterKey, 0);
  return afterKey[i] === ':' ? skipSpace(afterKey, i + 1) : -1;
}

/** An opening is identified by this much of each piece's text: a stable prefix is enough, and hashing less is cheaper. */
const OPENING_TEXT = 1024;
/** How far after a key its opening text is looked for (the first message's content may follow a few short fields). */
export const OPENING_WINDOW = 4 * 1024;
const TEXT_FIELD = /"(?:text|content)"\s*:\s*"/g;

/** From an opening quote: the string's text up to its closing quote, at most OPENING_TEXT characters, still escaped. */
function stringPrefix(text: string, quote: number): string {
  const end = valueEnd(text, quote);
  const stop = quote + 1 + OPENING_TEXT;
  return text.slice(quote + 1, end === -1 ? stop : Math.min(end - 1, stop));
}

/**
 * The first `n` texts of the value right after a key (`"system"`, `"messages"`, `"input"`): the value
 * itself when it is a string, else its first `"text"`/`"content"` strings. Clients resend the same message
 * as a string one turn and as text blocks the next, so only the words count; a scan of a few KB, not a parse.
 */
export function openingTexts(afterKey: string | undefined, n = 1): string[] {
  if (afterKey === undefined) return [];
  const start = valueStart(afterKey);
  if (start === -1) return [];
  if (afterKey[start] === '"') return [stringPrefix(afterKey, start)];
  const out: string[] = [];
  TEXT_FIELD.lastIndex = start;
  for (let m = TEXT_FIELD.exec(afterKey); m && out.length < n; m = TEXT_FIELD.exec(afterKey)) {
    const quote = m.index + m[0].length - 1;
    out.push(stringPrefix(afterKey, quote));
    TEXT_FIELD.lastIndex = quote + 1;
  }
  return out;
}

/** A string header's value, trimmed; undefined when absent or empty. */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim() : undefined;
}
