// Liveness of an endpoint for requests whose first byte says nothing (non-streaming ones): a one-token streaming probe on the same endpoint, key and model.

import { Exchange } from './exchange';
import { upstreamRequestHeaders } from './headers';
import type { ApiAdapter, Operation } from './protocols';
import { RuntimeEndpoint, RuntimeKey } from './runtime';
import { Upstream } from './upstream';

/**
 * `alive`: the probe got an answer in time (a first event, or any HTTP status: the endpoint answers,
 * so a request waiting there is merely slow); `hung`: no first byte within the probe's deadline;
 * `unknown`: the probe could not be sent or its connection failed (the waiting request learns that itself).
 */
export type Liveness = 'alive' | 'hung' | 'unknown';

export interface ProbeTarget {
  endpoint: RuntimeEndpoint;
  key: RuntimeKey | undefined;
  api: ApiAdapter;
  op: Operation;
  model: string;
  /** The waiting request's path and query (the probe goes to the same operation). */
  path: string;
  /** The waiting request's headers (API version, the client's own auth when the endpoint has no keys). */
  rawHeaders: string[];
  /** How long the probe may take to its first byte: the endpoint's stream deadline. */
  deadlineMs: number;
}

export interface ProbeReport {
  endpoint: RuntimeEndpoint;
  verdict: Liveness;
  ms: number;
  detail: string;
}

/** Sends liveness probes, at most one in flight per endpoint, and lets a fresh `alive` stand for a while. */
export class LivenessProber {
  private readonly inFlight = new Map<string, Promise<Liveness>>();
  private readonly aliveAt = new Map<string, number>();

  constructor(private readonly upstream: Upstream, private readonly report: (r: ProbeReport) => void = () => undefined) {}

  /** Whether the endpoint answers now. Concurrent callers share one probe; an `alive` younger than the deadline is reused. */
  check(t: ProbeTarget): Promise<Liveness> {
    const id = t.endpoint.id;
    const running = this.inFlight.get(id);
    if (running) return running;
    const at = this.aliveAt.get(id);
    if (at !== undefined && performance.now() - at < t.deadlineMs) return Promise.resolve('alive');
    const body = t.api.livenessProbeBody?.(t.op, t.model);
    if (body === undefined) return Promise.resolve('unknown');
    const probe = this.send(t, Buffer.from(body)).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, probe);
    return probe;
  }

  private send(t: ProbeTarget, body: Buffer): Promise<Liveness> {
    const started = performance.now();
    const exchange = new Exchange();
    return new Promise<Liveness>((resolve) => {
      let settled = false;
      const done = (verdict: Liveness, detail: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // Nothing of the probe is wanted beyond its first byte: cut it (and its billing) short.
        exchange.abort(new Error('liveness probe done'));
        const ms = Math.round(performance.now() - started);
        if (verdict === 'alive') this.aliveAt.set(t.endpoint.id, performance.now());
        else this.aliveAt.delete(t.endpoint.id);
        this.report({ endpoint: t.endpoint, verdict, ms, detail });
        resolve(verdict);
      };
      const timer = setTimeout(() => done('hung', `no first byte within ${t.deadlineMs} ms`), t.deadlineMs);
      exchange.attach({
        onHeaders(status) {
          // Any status but a success is an answer; a success must also send its first event.
          if (status < 200 || status >= 300) done('alive', `answered ${status}`);
        },
        onData() {
          done('alive', 'first event arrived');
        },
        onEnd() {
          done('alive', 'answered');
        },
        onError(err) {
          done('unknown', `probe failed: ${err.message}`);
        },
      });
      this.upstream.dispatch(
        {
          origin: t.endpoint.origin,
          path: t.endpoint.basePath + t.path,
          method: 'POST',
          headers: upstreamRequestHeaders(t.rawHeaders, t.key?.value, t.endpoint.auth, body.length),
          body,
          fresh: false,
        },
        exchange,
      );
    });
  }
}
