// The diagnostics report as a small document (headings, paragraphs, lists, tables) that the Markdown and the webview renderers both read.

import { ISO_INSTANT } from './localTime';
import type { CheckStatus } from './types';

/** A run of text; the marked forms are drawn each renderer's own way. */
export type Span =
  | string
  | { strong: string }
  | { em: string }
  | { code: string }
  /** A verdict: a word ("ok", "warning", "failed"), never a symbol some fonts lack. */
  | { status: CheckStatus }
  /** An ISO instant: local time where it is read, and also ISO where it is shared. */
  | { time: string };

export type Text = readonly Span[];

export interface ListItem {
  text: Text;
  /** Lines under the item (evidence, fix). */
  details?: readonly Text[];
}

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: Text }
  | { kind: 'paragraph'; text: Text }
  | { kind: 'list'; items: readonly ListItem[] }
  | { kind: 'table'; head: readonly string[]; rows: readonly (readonly Text[])[] };

export type ReportDoc = readonly Block[];

export const STATUS_WORDS: Record<CheckStatus, string> = { ok: 'ok', warn: 'warning', fail: 'failed' };

/** Plain text with every ISO instant in it marked as a time, so renderers can show it in local time. */
export function withTimes(text: string): Span[] {
  const out: Span[] = [];
  let last = 0;
  for (const m of text.matchAll(ISO_INSTANT)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push({ time: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** A check's sentence as spans: its `backticked` parts as code, its instants as times. */
export function prose(text: string): Span[] {
  return text.split(/`([^`]*)`/).flatMap((part, i) => (i % 2 === 1 ? [{ code: part }] : withTimes(part)));
}
