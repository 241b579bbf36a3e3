// Talks to a child started with --inspect over the inspector protocol: full GCs, evaluated expressions, heap snapshots.

import * as fs from 'node:fs';
import { WebSocket } from 'undici';

export interface GcHandle {
  collect(): Promise<void>;
  close(): void;
}

export interface InspectorSession extends GcHandle {
  /** Sends one protocol command and resolves with its result (rejects with the protocol's error). */
  call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Evaluates an expression in the child's main context and returns its value (JSON-serialisable results only). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Takes a heap snapshot (which runs a full GC first) and returns its JSON text. */
  heapSnapshot(): Promise<string>;
}

/** Waits for the child's "Debugger listening on ws://..." line in its stderr log file. */
async function inspectorUrl(logFile: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /Debugger listening on (ws:\/\/\S+)/.exec(fs.readFileSync(logFile, 'utf8'));
    if (m) return m[1];
    if (Date.now() > deadline) throw new Error(`no inspector URL in ${logFile}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { message: string };
}

export async function connectInspector(logFile: string): Promise<InspectorSession> {
  const ws = new WebSocket(await inspectorUrl(logFile));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('cannot reach the inspector')), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, (msg: Message) => void>();
  const eventHandlers = new Map<string, (params: Record<string, unknown>) => void>();
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as Message;
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
    else if (msg.method) eventHandlers.get(msg.method)?.(msg.params ?? {});
  });
  const call = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (msg) => {
        waiting.delete(id);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result as T);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    call,
    evaluate: async <T>(expression: string) => {
      const r = await call<{ result: { value?: T }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression, returnByValue: true });
      if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${r.exceptionDetails.text}`);
      return r.result.value as T;
    },
    heapSnapshot: async () => {
      const chunks: string[] = [];
      eventHandlers.set('HeapProfiler.addHeapSnapshotChunk', (p) => chunks.push(String(p.chunk)));
      try {
        await call('HeapProfiler.enable');
        await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      } finally {
        eventHandlers.delete('HeapProfiler.addHeapSnapshotChunk');
      }
      return chunks.join('');
    },
    collect: async () => {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
    },
    close: () => ws.close(),
  };
}

/** The GC-only view the leak check needs. */
export const connectGc: (logFile: string) => Promise<GcHandle> = connectInspector;
