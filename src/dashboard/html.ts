// The dashboard page's HTML for either host: a strict Content-Security-Policy with a nonce, the bundle's script and stylesheet, nothing inline.

import type { DashboardMode } from './feed';

export interface DashboardHtmlOptions {
  /** URL of dist/dashboard.js (a webview URI in VS Code, a path headless). */
  scriptUri: string;
  /** URL of dist/dashboard.css. */
  styleUri: string;
  /** Fresh per page load (16 random bytes, base64). */
  nonce: string;
  /** Where scripts and styles may come from: `webview.cspSource` in VS Code, `'self'` headless. */
  cspSource: string;
  mode: DashboardMode;
  /** `vscode`: messages from the extension, VS Code's theme; `browser`: the SSE feed and the page's own themes. */
  host: 'vscode' | 'browser';
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Content-Security-Policy of the page (also sent as a header headless). */
export function dashboardCsp(o: Pick<DashboardHtmlOptions, 'nonce' | 'cspSource' | 'host'>): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${o.nonce}'`,
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
    // Headless the page reads /_switchyard/events from where it came from; in VS Code it fetches nothing.
    `connect-src ${o.host === 'browser' ? "'self'" : "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function dashboardHtml(o: DashboardHtmlOptions): string {
  const title = o.mode === 'requests' ? 'Switchyard: Requests' : 'Switchyard: Dashboard';
  return `<!DOCTYPE html>
<html lang="en" data-host="${o.host}" data-mode="${o.mode}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(dashboardCsp(o))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="${attr(o.styleUri)}" nonce="${attr(o.nonce)}">
<script defer src="${attr(o.scriptUri)}" nonce="${attr(o.nonce)}"></script>
</head>
<body>
<noscript>The Switchyard dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}
