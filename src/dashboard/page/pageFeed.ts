// What the page needs from its host, whichever it is: messages in, messages out, pause while hidden, a place to keep its state.

import type { HistoryRange, HostMessage, PageMessage, RequestFilter } from '../feed';

/** What the page restores when it is opened again. */
export interface PageState {
  range: HistoryRange;
  /** The cluster picked by a click; null follows the active one. */
  cluster: string | null;
  filter: RequestFilter;
  text: string;
}

export type FeedStatus =
  | { kind: 'live' }
  | { kind: 'connecting' }
  | { kind: 'retrying'; reason: string; inMs: number }
  | { kind: 'key-required'; refused: boolean }
  | { kind: 'paused' };

export interface Feed {
  /** Starts delivering the host's messages; `state` is what the page starts with. */
  start(state: PageState, onMessage: (m: HostMessage) => void, onStatus: (s: FeedStatus) => void): void;
  send(m: PageMessage): void;
  /** The page was hidden: stop receiving (the VS Code host stops posting by itself). */
  pause(): void;
  resume(): void;
  restoreState(): Partial<PageState> | undefined;
  saveState(state: PageState): void;
}

const TYPES = new Set(['snapshot', 'history', 'historyDelta', 'request', 'requests', 'filter', 'banner']);

export function isHostMessage(value: unknown): value is HostMessage {
  return !!value && typeof value === 'object' && TYPES.has((value as { type?: unknown }).type as string);
}
