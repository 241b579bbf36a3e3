// The page's feed inside a VS Code webview: messages posted by the extension, state kept by the webview API.

import { Feed, isHostMessage, PageState } from './pageFeed';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export function vscodeFeed(): Feed {
  const api = acquireVsCodeApi();
  return {
    start(state, onMessage, onStatus) {
      window.addEventListener('message', (e: MessageEvent) => {
        if (isHostMessage(e.data)) onMessage(e.data);
      });
      onStatus({ kind: 'live' });
      api.postMessage({ type: 'ready', ...state });
    },
    send: (m) => api.postMessage(m),
    // With retainContextWhenHidden off VS Code drops a hidden webview, and the extension stops posting to it.
    pause() {},
    resume() {},
    restoreState: () => (api.getState() as Partial<PageState> | undefined) ?? undefined,
    saveState: (state) => api.setState(state),
  };
}
