// The diagnostics report's webview page: the document as HTML under a strict CSP, its times redrawn in the browser's own zone.

import { localTime } from '../diagnostics/localTime';
import { Block, ListItem, ReportDoc, Span, STATUS_WORDS, Text } from '../diagnostics/reportDoc';

export interface ReportAction {
  id: string;
  label: string;
  /** Drawn as a secondary button. */
  secondary?: boolean;
}

export interface ReportHtmlOptions {
  /** Fresh per page (16 random bytes, base64): the only style and script allowed are this page's own. */
  nonce: string;
  /** Buttons above the report; a click posts `{ action: id }`. */
  actions: readonly ReportAction[];
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function span(s: Span): string {
  if (typeof s === 'string') return esc(s);
  if ('strong' in s) return `<strong>${esc(s.strong)}</strong>`;
  if ('em' in s) return `<em>${esc(s.em)}</em>`;
  if ('code' in s) return `<code>${esc(s.code)}</code>`;
  if ('status' in s) return `<span class="status ${s.status}">${STATUS_WORDS[s.status]}</span>`;
  // The extension host's local time, redrawn by the page's script in the browser's zone.
  return `<time datetime="${esc(s.time)}" title="${esc(s.time)}">${esc(localTime(s.time))}</time>`;
}

function text(t: Text): string {
  return t.map(span).join('');
}

/** A check's verdict goes in a column of its own, so wrapped lines and details line up after it. */
function item(i: ListItem): string {
  const details = i.details?.length ? `<ul class="details">${i.details.map((d) => `<li>${text(d)}</li>`).join('')}</ul>` : '';
  const [first, ...rest] = i.text;
  if (typeof first === 'object' && 'status' in first) return `<li class="check">${span(first)}<div>${text(rest)}${details}</div></li>`;
  return `<li>${text(i.text)}${details}</li>`;
}

function block(b: Block): string {
  switch (b.kind) {
    case 'heading':
      return `<h${b.level}>${text(b.text)}</h${b.level}>`;
    case 'paragraph':
      return `<p>${text(b.text)}</p>`;
    case 'list':
      return `<ul>${b.items.map(item).join('')}</ul>`;
    case 'table':
      return `<table><thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${text(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  }
}

/** Nothing may load or connect; only this page's own style and script run. */
export function reportCsp(nonce: string): string {
  return ["default-src 'none'", `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`, "base-uri 'none'", "form-action 'none'"].join('; ');
}

/** Theme colours only; verdicts are words in colour, never symbols a font may lack. */
const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); line-height: 1.5; color: var(--vscode-foreground); margin: 0; padding: 12px 28px 40px; }
main { max-width: 1080px; }
h1 { font-size: 1.6em; font-weight: 600; margin: 8px 0 4px; }
h2 { font-size: 1.2em; font-weight: 600; margin: 26px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35)); }
h3 { font-size: 1.05em; font-weight: 600; margin: 18px 0 2px; }
p { margin: 6px 0; }
ul { list-style: none; margin: 6px 0; padding: 0; }
li { margin: 6px 0; }
li.check { display: flex; align-items: baseline; }
li.check > .status { flex: none; }
ul.details { margin: 2px 0 0; color: var(--vscode-descriptionForeground); }
ul.details > li { margin: 2px 0; }
code { font-family: var(--vscode-editor-font-family); font-size: 0.92em; background: var(--vscode-textCodeBlock-background); padding: 1px 3px; border-radius: 3px; overflow-wrap: anywhere; }
time { white-space: nowrap; }
.status { display: inline-block; box-sizing: border-box; min-width: 5em; margin-right: 0.6em; padding: 0 6px; border: 1px solid currentColor; border-radius: 9px; font-size: 0.85em; font-weight: 600; line-height: 1.5; text-align: center; }
.status.ok { color: var(--vscode-testing-iconPassed, #388a34); }
.status.warn { color: var(--vscode-editorWarning-foreground, #bf8803); }
.status.fail { color: var(--vscode-errorForeground, #e51400); }
table { border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 4px 10px; border: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35)); }
nav { display: flex; gap: 8px; margin: 12px 0 4px; }
button { font: inherit; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 3px 12px; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
button.secondary { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
button.secondary:hover { background: var(--vscode-button-secondaryHoverBackground); }
`;

/** The page's script: times in the browser's zone (localTime's own source, which is self-contained), and the buttons. */
function script(): string {
  return `
const api = acquireVsCodeApi();
const localTime = ${localTime.toString()};
for (const t of document.querySelectorAll('time[datetime]')) t.textContent = localTime(t.getAttribute('datetime'));
for (const b of document.querySelectorAll('button[data-action]')) b.addEventListener('click', () => api.postMessage({ action: b.dataset.action }));
`;
}

/** The whole page for a webview. */
export function reportHtml(doc: ReportDoc, o: ReportHtmlOptions): string {
  const nonce = esc(o.nonce);
  const actions = o.actions.map((a) => `<button type="button" data-action="${esc(a.id)}"${a.secondary ? ' class="secondary"' : ''}>${esc(a.label)}</button>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(reportCsp(o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard diagnostics</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
${actions ? `<nav>${actions}</nav>` : ''}
<main>
${doc.map(block).join('\n')}
</main>
<script nonce="${nonce}">${script()}</script>
</body>
</html>
`;
}
