// Renders a report document as Markdown: the shareable form, for a bug report or an issue.

import { localTime } from './localTime';
import { Block, ReportDoc, Span, STATUS_WORDS, Text } from './reportDoc';

export interface MarkdownOptions {
  /** How an instant reads; by default the exact ISO form with the writer's local time beside it. */
  time?: (iso: string) => string;
}

/** Exact for whoever reads the issue, and local for whoever wrote it. */
function sharedTime(iso: string): string {
  return `${iso} (${localTime(iso, false)})`;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function span(s: Span, o: Required<MarkdownOptions>): string {
  if (typeof s === 'string') return s;
  if ('strong' in s) return `**${s.strong}**`;
  if ('em' in s) return `_${s.em}_`;
  if ('code' in s) return code(s.code);
  // In brackets, so a verdict never runs into the bold subject after it; problems in bold.
  if ('status' in s) return s.status === 'ok' ? `[${STATUS_WORDS.ok}]` : `**[${STATUS_WORDS[s.status]}]**`;
  return o.time(s.time);
}

function text(t: Text, o: Required<MarkdownOptions>): string {
  return t.map((s) => span(s, o)).join('');
}

function cell(t: Text, o: Required<MarkdownOptions>): string {
  return text(t, o).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function block(b: Block, o: Required<MarkdownOptions>): string {
  switch (b.kind) {
    case 'heading':
      return `${'#'.repeat(b.level)} ${text(b.text, o)}`;
    case 'paragraph':
      return text(b.text, o);
    case 'list':
      return b.items.map((i) => [`- ${text(i.text, o)}`, ...(i.details ?? []).map((d) => `  - ${text(d, o)}`)].join('\n')).join('\n');
    case 'table':
      return [`| ${b.head.join(' | ')} |`, `| ${b.head.map(() => '---').join(' | ')} |`, ...b.rows.map((r) => `| ${r.map((c) => cell(c, o)).join(' | ')} |`)].join('\n');
  }
}

/** The document as Markdown, blocks separated by blank lines. */
export function renderMarkdown(doc: ReportDoc, options: MarkdownOptions = {}): string {
  const o: Required<MarkdownOptions> = { time: options.time ?? sharedTime };
  return `${doc.map((b) => block(b, o)).join('\n\n')}\n`;
}
