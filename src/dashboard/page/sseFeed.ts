// The page's feed in a browser: the proxy's /_switchyard/events SSE stream read with fetch(), so the client key can travel in a header.

import { CLIENT_KEY_HEADER, EVENTS_PATH } from '../feed';
import { hostMessageOf, SseParser } from '../sseEvents';
import { KeyForm } from './keyForm';
import { Feed, FeedStatus, PageState } from './pageFeed';

const KEY_STORAGE = 'switchyard.clientKey';
const STATE_STORAGE = 'switchyard.dashboard';
const RETRY_MS = [1000, 2000, 4000, 8000, 15000];

function session(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

/**
 * Reconnects with growing pauses when the stream drops, stays closed while the page is hidden, and on
 * 401 asks for the key in a form. A change of range or cluster reconnects with the new query; the key
 * is only ever in the `x-switchyard-key` header, never in a URL.
 */
export function sseFeed(keyForm: KeyForm): Feed {
  let state: PageState;
  let onMessage: Parameters<Feed['start']>[1] = () => undefined;
  let onStatus: (s: FeedStatus) => void = () => undefined;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let paused = false;
  let askingForKey = false;

  const url = () => {
    const q = new URLSearchParams({ range: state.range });
    if (state.cluster) q.set('cluster', state.cluster);
    return `${EVENTS_PATH}?${q}`;
  };

  const stop = () => {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    controller?.abort();
    controller = undefined;
  };

  const retry = (reason: string) => {
    if (paused) return;
    const inMs = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)];
    onStatus({ kind: 'retrying', reason, inMs });
    retryTimer = setTimeout(connect, inMs);
  };

  async function connect(): Promise<void> {
    stop();
    if (paused || askingForKey) return;
    const mine = new AbortController();
    controller = mine;
    const key = session()?.getItem(KEY_STORAGE) ?? undefined;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (key) headers[CLIENT_KEY_HEADER] = key;
    onStatus({ kind: 'connecting' });
    let res: Response;
    try {
      res = await fetch(url(), { headers, signal: mine.signal, cache: 'no-store', credentials: 'same-origin' });
    } catch {
      if (!mine.signal.aborted) retry('cannot reach the proxy');
      return;
    }
    if (res.status === 401) {
      void res.body?.cancel();
      session()?.removeItem(KEY_STORAGE);
      askingForKey = true;
      onStatus({ kind: 'key-required', refused: key !== undefined });
      const entered = await keyForm.ask(key !== undefined);
      askingForKey = false;
      session()?.setItem(KEY_STORAGE, entered);
      failures = 0;
      void connect();
      return;
    }
    if (!res.ok || !res.body) {
      void res.body?.cancel();
      retry(`the proxy answered ${res.status}`);
      return;
    }
    failures = 0;
    onStatus({ kind: 'live' });
    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          const m = hostMessageOf(event);
          if (m) onMessage(m);
        }
      }
    } catch {
      // Aborted (hidden, new range) or the connection dropped; which one is told by the signal below.
    }
    if (!mine.signal.aborted) retry('the stream ended');
  }

  return {
    start(initial, message, status) {
      state = { ...initial };
      onMessage = message;
      onStatus = status;
      void connect();
    },
    send(m) {
      if (m.type === 'range') state.range = m.range;
      else if (m.type === 'cluster') state.cluster = m.name;
      else return;
      failures = 0;
      void connect();
    },
    pause() {
      paused = true;
      stop();
      onStatus({ kind: 'paused' });
    },
    resume() {
      if (!paused) return;
      paused = false;
      failures = 0;
      void connect();
    },
    restoreState() {
      try {
        return JSON.parse(session()?.getItem(STATE_STORAGE) ?? 'null') ?? undefined;
      } catch {
        return undefined;
      }
    },
    saveState(s) {
      session()?.setItem(STATE_STORAGE, JSON.stringify(s));
    },
  };
}
