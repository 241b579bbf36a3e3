// Forces a full GC in a child started with --inspect, over the inspector protocol, so heap figures compare fairly.

import * as fs from 'node:fs';
import { WebSocket } from 'undici';

export interface GcHandle {
  collect(): Promise<void>;
  close(): void;
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

export async function connectGc(logFile: string): Promise<GcHandle> {
  const ws = new WebSocket(await inspectorUrl(logFile));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('cannot reach the inspector')), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, () => void>();
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number };
    if (msg.id !== undefined) waiting.get(msg.id)?.();
  });
  const call = (method: string) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      waiting.set(id, () => {
        waiting.delete(id);
        resolve();
      });
      ws.send(JSON.stringify({ id, method }));
    });
  return {
    collect: async () => {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
    },
    close: () => ws.close(),
  };
}
