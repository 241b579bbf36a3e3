// The first-byte deadline of a streaming attempt, learned per endpoint × model from its own recent streams and scaled by the request's size.

import type { TimeoutsConfig } from './config';
import type { Operation } from './protocols';

/**
 * How a deadline was reached: from this endpoint × model's own recent streams (`learned`), with no
 * history yet (`initial`), or the configured hard limit binding (`configured`).
 */
export type DeadlineBasis = 'learned' | 'initial' | 'configured';

export interface FirstByteDeadline {
  ms: number;
  basis: DeadlineBasis;
  /**
   * A timeout at this deadline is a stall (the request should have answered): the endpoint's own
   * history says so, or the configured hard limit ran out. A timeout at an `initial` deadline is not.
   */
  conclusive: boolean;
  /** The time to first byte the deadline expects (before the multiplier), for hedging and logs. */
  expectedMs: number | null;
  /** A few words for logs and attempt traces: `learned: 4 × 250 ms (p95 of 30 streams)`. */
  reason: string;
}

/** What the stats and the tree show for one endpoint. */
export interface DeadlineInForce {
  ms: number;
  basis: DeadlineBasis;
  model: string | null;
  samples: number;
}

/** Deadline = this many times the expected time to first byte. */
export const DEADLINE_MULTIPLIER = 4;
/** Streams an endpoint × model needs before its own history sets the deadline (fewer can only raise it). */
export const MIN_SAMPLES = 3;
const MAX_SAMPLES = 32;
/** Models remembered per endpoint; the least recently seen is forgotten first. */
const MAX_MODELS = 16;
/**
 * Prefill allowance beyond the sizes seen so far, in ms per token (about 10k tokens/s): a 150k-token
 * turn after only quick side calls gets 15 s more expected time, 60 s more deadline.
 */
export const PRIOR_MS_PER_TOKEN = 0.1;
/** The learned slope is bounded: no real prefill is slower than 1k tokens/s... */
const MAX_MS_PER_TOKEN = 1;
/**
 * ...and within the sizes seen it counts as at least 40k tokens/s, so a large turn whose prefix
 * happens not to be cached (10k tokens/s once multiplied) is not cut by a history of cached ones.
 */
export const MIN_MS_PER_TOKEN = 0.025;
/** Two samples say something about the slope only when their sizes differ this much. */
const MIN_TOKEN_SPREAD = 500;
const MIN_SLOPE_PAIRS = 5;

/**
 * Whether an operation generates (its answers report token usage: messages, chat, responses): only
 * those have a time to first byte worth learning, and only their answers show an endpoint generates.
 */
export function generates(op: Operation): boolean {
  return op.reportsUsage;
}

/**
 * The slowest output rate a generation is allowed: a non-streaming answer arrives whole, so it can
 * take no longer than a stream's first byte plus its output cap at this rate (5 tokens/s is several
 * times below any provider's; a request without a cap is bounded by timeouts.firstByteMs alone).
 */
export const SLOWEST_OUTPUT_TOKENS_PER_S = 5;

/** The deadline of a non-streaming generation: the stream deadline of the same request plus its output cap at the slowest rate, within timeouts.firstByteMs. */
export function nonStreamingDeadline(stream: FirstByteDeadline, maxOutputTokens: number | undefined, firstByteMs: number): FirstByteDeadline {
  const limit: FirstByteDeadline = { ms: firstByteMs, basis: 'configured', conclusive: true, expectedMs: null, reason: 'timeouts.firstByteMs' };
  if (maxOutputTokens === undefined) return limit;
  const ms = Math.round(stream.ms + (1000 * maxOutputTokens) / SLOWEST_OUTPUT_TOKENS_PER_S);
  if (ms >= firstByteMs) return limit;
  return { ...stream, ms, reason: `${stream.reason}, + ${maxOutputTokens} output tokens at ${SLOWEST_OUTPUT_TOKENS_PER_S}/s` };
}

/** A rough token count from a body's length (JSON of English text and code runs near 4 bytes a token). */
export function estimateTokens(bodyBytes: number): number {
  return Math.ceil(bodyBytes / 4);
}

interface Sample {
  ms: number;
  tokens: number;
}

/** What a model's samples say: time to first byte ≈ base + slope × tokens, within the sizes seen. */
interface Fit {
  samples: number;
  /** High percentile (p95, the max for few samples) of time to first byte less the size part. */
  baseMs: number;
  msPerToken: number;
  maxTokens: number;
  medianTokens: number;
}

interface ModelHistory {
  samples: Sample[];
  fit: Fit;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** Theil–Sen: the median of pairwise slopes, over pairs whose sizes differ enough to say anything. */
function slopeOf(samples: Sample[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const dn = samples[j].tokens - samples[i].tokens;
      if (Math.abs(dn) < MIN_TOKEN_SPREAD) continue;
      slopes.push((samples[j].ms - samples[i].ms) / dn);
    }
  }
  if (slopes.length < MIN_SLOPE_PAIRS) return 0;
  slopes.sort((a, b) => a - b);
  return Math.min(MAX_MS_PER_TOKEN, Math.max(0, percentile(slopes, 0.5)));
}

function fit(samples: Sample[]): Fit {
  const msPerToken = slopeOf(samples);
  const residuals = samples.map((s) => s.ms - msPerToken * s.tokens).sort((a, b) => a - b);
  const tokens = samples.map((s) => s.tokens).sort((a, b) => a - b);
  return {
    samples: samples.length,
    baseMs: Math.max(1, percentile(residuals, 0.95)),
    msPerToken,
    maxTokens: tokens[tokens.length - 1],
    medianTokens: percentile(tokens, 0.5),
  };
}

/** Expected time to first byte for a request of `tokens`: the learned slope (bounded below) within the sizes seen, at least the prior beyond them. */
function expectedMs(f: Fit, tokens: number): number {
  const within = Math.min(tokens, f.maxTokens);
  const beyond = Math.max(0, tokens - f.maxTokens);
  return f.baseMs + Math.max(f.msPerToken, MIN_MS_PER_TOKEN) * within + Math.max(f.msPerToken, PRIOR_MS_PER_TOKEN) * beyond;
}

const key = (endpointId: string, model: string | undefined) => `${endpointId}\u0000${model ?? ''}`;

/** Learns each endpoint × model's time to first byte for streams and answers the deadline an attempt should use. */
export class FirstByteDeadlines {
  private readonly histories = new Map<string, ModelHistory>();
  /** Per endpoint, its models, most recently seen last. */
  private readonly modelsOf = new Map<string, string[]>();

  /** Records one stream's time to first byte (headers and first event) on an endpoint × model. */
  observe(endpointId: string, model: string | undefined, tokens: number, ttfbMs: number): void {
    const k = key(endpointId, model);
    const samples = this.histories.get(k)?.samples ?? [];
    samples.push({ ms: ttfbMs, tokens });
    if (samples.length > MAX_SAMPLES) samples.shift();
    this.histories.set(k, { samples, fit: fit(samples) });
    this.touchModel(endpointId, model ?? '');
  }

  /**
   * The deadline for a stream of about `tokens` to `endpointId`. Peers (the other endpoints of its
   * cluster) can only raise a fresh endpoint's deadline: the same model known to be slow elsewhere.
   */
  forStream(endpointId: string, peers: readonly string[], model: string | undefined, tokens: number, t: TimeoutsConfig): FirstByteDeadline {
    const own = this.histories.get(key(endpointId, model))?.fit;
    const floor = Math.min(t.streamFirstByteFloorMs, t.streamFirstByteMs);
    const learned = (f: Fit) => Math.max(floor, Math.round(DEADLINE_MULTIPLIER * expectedMs(f, tokens)));
    let ms: number;
    let basis: DeadlineBasis;
    let reason: string;
    if (own && own.samples >= MIN_SAMPLES) {
      ms = learned(own);
      basis = 'learned';
      reason = `learned: ${DEADLINE_MULTIPLIER} × ${Math.round(expectedMs(own, tokens))} ms expected (p95 of ${own.samples} streams${own.msPerToken > 0 || tokens > own.maxTokens ? `, scaled to ~${tokens} tokens` : ''})`;
    } else {
      ms = Math.round(t.streamFirstByteInitialMs + DEADLINE_MULTIPLIER * PRIOR_MS_PER_TOKEN * tokens);
      reason = `no history yet: ${t.streamFirstByteInitialMs} ms${tokens * PRIOR_MS_PER_TOKEN >= 1 ? ` + ${Math.round(DEADLINE_MULTIPLIER * PRIOR_MS_PER_TOKEN * tokens)} ms for ~${tokens} tokens` : ''}`;
      if (own) ms = Math.max(ms, learned(own));
      for (const peer of peers) {
        const f = peer === endpointId ? undefined : this.histories.get(key(peer, model))?.fit;
        if (f && f.samples >= MIN_SAMPLES && learned(f) > ms) {
          ms = learned(f);
          reason = `no history yet; the same model is that slow elsewhere: ${ms} ms`;
        }
      }
      basis = 'initial';
    }
    const expected = own && own.samples >= MIN_SAMPLES ? Math.round(expectedMs(own, tokens)) : null;
    if (ms >= t.streamFirstByteMs) return { ms: t.streamFirstByteMs, basis: 'configured', conclusive: true, expectedMs: expected, reason: `timeouts.streamFirstByteMs (${reason})` };
    return { ms, basis, conclusive: basis === 'learned', expectedMs: expected, reason };
  }

  /** The deadline in force for the endpoint's most recent model at its median request size, for stats and the tree. */
  inForce(endpointId: string, peers: readonly string[], t: TimeoutsConfig): DeadlineInForce {
    const models = this.modelsOf.get(endpointId);
    const model = models?.[models.length - 1];
    const f = model === undefined ? undefined : this.histories.get(key(endpointId, model))?.fit;
    const d = this.forStream(endpointId, peers, model, f?.medianTokens ?? 0, t);
    return { ms: d.ms, basis: d.basis, model: model || null, samples: f?.samples ?? 0 };
  }

  /** Forgets what was learned of endpoints no longer configured. */
  retain(endpointIds: ReadonlySet<string>): void {
    for (const [id, models] of this.modelsOf) {
      if (endpointIds.has(id)) continue;
      for (const m of models) this.histories.delete(key(id, m));
      this.modelsOf.delete(id);
    }
  }

  private touchModel(endpointId: string, model: string): void {
    const models = this.modelsOf.get(endpointId) ?? [];
    const at = models.indexOf(model);
    if (at !== -1) models.splice(at, 1);
    models.push(model);
    if (models.length > MAX_MODELS) this.histories.delete(key(endpointId, models.shift()!));
    this.modelsOf.set(endpointId, models);
  }
}
