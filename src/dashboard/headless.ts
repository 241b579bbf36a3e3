// The headless host of the dashboard: GET /_switchyard/dashboard (the page, its script and stylesheet) and /_switchyard/events (its SSE feed).

import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isHistoryRange } from '../core/history';
import { DASHBOARD_PATH, EVENTS_PATH } from './feed';
import { dashboardCsp, dashboardHtml } from './html';
import { DashboardSession, DashboardSource, SessionOptions } from './session';
import { SSE_HEARTBEAT, sseFrame } from './sseEvents';

export interface HeadlessDashboardOptions {
  source: DashboardSource;
  /** The folder holding dashboard.js and dashboard.css (the extension's or CLI's dist/). */
  distDir: string;
  /** ms between SSE keep-alive comments (default 15 s). */
  heartbeatMs?: number;
  /** Passed to each stream's session (tick rates, for tests). */
  session?: Partial<Pick<SessionOptions, 'snapshotMs' | 'requestBatchMs' | 'historyTickMs'>>;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  [`${DASHBOARD_PATH}.js`]: { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  [`${DASHBOARD_PATH}.css`]: { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

/**
 * Serves the dashboard routes and returns true, or returns false for any other path. Call it after the
 * proxy's guard (loopback Host, no cross-origin, the client key): the page's fetch() of the event
 * stream carries the key in `x-switchyard-key`, so a 401 from the guard is what makes the page ask for it.
 */
export function handleDashboardRequest(req: http.IncomingMessage, res: http.ServerResponse, options: HeadlessDashboardOptions): boolean {
  const url = new URL(req.url ?? '/', 'http://switchyard.invalid');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    if (url.pathname !== DASHBOARD_PATH && url.pathname !== EVENTS_PATH && !ASSETS[url.pathname]) return false;
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
    return true;
  }
  if (url.pathname === DASHBOARD_PATH || url.pathname === `${DASHBOARD_PATH}/`) {
    const nonce = randomBytes(16).toString('base64');
    const csp = { nonce, cspSource: "'self'", host: 'browser' as const };
    const body = dashboardHtml({ ...csp, scriptUri: `${DASHBOARD_PATH}.js`, styleUri: `${DASHBOARD_PATH}.css`, mode: 'dashboard' });
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `${dashboardCsp(csp)}; frame-ancestors 'none'`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
  const asset = ASSETS[url.pathname];
  if (asset) {
    fs.readFile(path.join(options.distDir, asset.file), (err, data) => {
      if (err) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`${asset.file} is not built (run npm run build)\n`);
        return;
      }
      res.writeHead(200, { 'content-type': asset.type, 'content-length': data.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
    return true;
  }
  if (url.pathname === EVENTS_PATH) {
    streamEvents(url, req, res, options);
    return true;
  }
  return false;
}

function streamEvents(url: URL, req: http.IncomingMessage, res: http.ServerResponse, options: HeadlessDashboardOptions): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const session = new DashboardSession(options.source, {
    ...options.session,
    mode: 'dashboard',
    withoutHistory: url.searchParams.get('history') === 'off',
    // A client that stops reading does not get an ever-growing buffer: it is cut off and reconnects.
    post: (m) => {
      if (res.writableLength > 4 * 1024 * 1024) res.destroy();
      else res.write(sseFrame(m));
    },
  });
  const range = url.searchParams.get('range');
  const cluster = url.searchParams.get('cluster');
  const heartbeat = setInterval(() => res.write(SSE_HEARTBEAT), options.heartbeatMs ?? 15_000);
  res.on('close', () => {
    clearInterval(heartbeat);
    session.dispose();
  });
  session.receive({ type: 'ready', range: isHistoryRange(range) ? range : undefined, cluster: cluster ?? undefined });
}
