// Measures each proxy on a fresh process: RSS after a short warm-up, again once it has sat idle, then with many held streams (one proxy at a time).

import { Child, rssBytes } from './children';
import { clientPool, firstEvents, throughput } from './load';
import { sanity } from './sanity';
import { idleStreams, StreamsResult, upstreamStats } from './streams';

export interface MemorySubject {
  name: string;
  isSwitchyard: boolean;
  start(): Promise<Child>;
}

export interface MemoryFigures {
  name: string;
  /** RSS just after start-up and a short warm-up (stable for 1 s). */
  rssWarmBytes: number;
  /** RSS after then sitting idle (long enough for V8's memory reducer to run its idle GC), before any stream opened. */
  rssIdleBytes: number;
  streams: StreamsResult;
}

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A little of each kind of traffic, so the idle figure includes what the first requests load and allocate. */
export async function shortWarmup(url: string): Promise<void> {
  const pool = clientPool(url, 10);
  try {
    await throughput(pool, 500, 10);
    await firstEvents(pool, 20);
  } finally {
    await pool.destroy();
  }
}

/** Samples RSS every 250 ms until four samples in a row lie within 0.25 MB (at least 1 s, at most 6 s). */
export async function settledRss(pid: number): Promise<number> {
  const window: number[] = [];
  for (let i = 0; i < 24; i++) {
    await sleep(250);
    window.push(rssBytes(pid));
    if (window.length > 4) window.shift();
    if (window.length === 4 && Math.max(...window) - Math.min(...window) <= 0.25 * MB) break;
  }
  return window[window.length - 1];
}

/** All subjects warm up, then sit idle together for `idleSeconds`; then one at a time, alone with the upstream, holds the streams and stops. */
export async function memoryPhase(subjects: MemorySubject[], upstreamUrl: string, streams: number, idleSeconds: number, progress: (line: string) => void): Promise<MemoryFigures[]> {
  const children: Child[] = [];
  const warm: number[] = [];
  try {
    for (const s of subjects) {
      const child = await s.start();
      children.push(child);
      await sanity(s.name, child.url, s.isSwitchyard);
      await shortWarmup(child.url);
      warm.push(await settledRss(child.pid));
    }
    progress(`warmed up; idle for ${idleSeconds} s`);
    await sleep(idleSeconds * 1000);
    const idle = children.map((c) => rssBytes(c.pid));
    const out: MemoryFigures[] = [];
    for (let i = 0; i < subjects.length; i++) {
      const s = subjects[i];
      const held = await idleStreams(children[i].url, children[i].pid, upstreamUrl, streams, s.isSwitchyard);
      await children[i].stop();
      out.push({ name: s.name, rssWarmBytes: warm[i], rssIdleBytes: idle[i], streams: held });
      progress(`${s.name}: RSS warm ${(warm[i] / MB).toFixed(1)} MB, idle ${(idle[i] / MB).toFixed(1)} MB, with ${held.opened} streams ${(held.rssBytes / MB).toFixed(1)} MB`);
      // The next subject's baseline must not include streams this one left open upstream.
      for (let t = 0; t < 40 && (await upstreamStats(upstreamUrl)).activeStreams > 0; t++) await sleep(50);
    }
    return out;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
