// List prices of current Anthropic and OpenAI models (dated), overridable per model and per endpoint, and the cost of one request's usage.

import type { Usage } from './protocols/types';

/** USD per million tokens. A missing rate means "not priced": a request that needs it gets no cost, never a guess. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  /** A 5-minute cache write (Anthropic's default lifetime). */
  cacheWrite5m?: number;
  /** A 1-hour cache write. */
  cacheWrite1h?: number;
  /** Above this many prompt tokens (input + cache reads + cache writes) every token of the request is priced at `longContext`. */
  longContextThreshold?: number;
  longContext?: Omit<ModelPrice, 'longContextThreshold' | 'longContext'>;
}

/** When the built-in table was checked against the providers' pricing pages. */
export const PRICES_CHECKED = '2026-12-01';

const anthropic = (input: number, output: number, cacheRead: number): ModelPrice => ({ input, output, cacheRead, cacheWrite5m: input * 1.25, cacheWrite1h: input * 2 });
const openai = (input: number, cacheRead: number, output: number): ModelPrice => ({ input, output, cacheRead, cacheWrite5m: 0, cacheWrite1h: 0 });

/**
 * Standard (not batch, not priority, not fast-mode) list prices, from platform.claude.com/docs/en/about-claude/pricing
 * and openai.com/api/pricing as of {@link PRICES_CHECKED}. Anthropic cache writes are 1.25× (5 min) and 2× (1 h)
 * the input rate; OpenAI bills no cache writes. Models not listed get no cost unless a price is configured.
 */
export const LIST_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-fable-5-1': anthropic(10, 50, 0.25),
  'claude-fable-5': anthropic(10, 50, 1),
  'claude-opus-5-5': anthropic(4, 20, 0.2),
  'claude-opus-5': anthropic(5, 25, 0.5),
  'claude-opus-4-8': anthropic(5, 25, 0.5),
  'claude-opus-4-7': anthropic(5, 25, 0.5),
  'claude-opus-4-6': anthropic(5, 25, 0.5),
  'claude-opus-4-5': anthropic(5, 25, 0.5),
  'claude-opus-4-1': anthropic(15, 75, 1.5),
  'claude-opus-4': anthropic(15, 75, 1.5),
  // Cache reads cut from $0.20 to $0.10 on 2026-10-07.
  'claude-sonnet-5-5': anthropic(2, 10, 0.1),
  'claude-sonnet-5': anthropic(2, 10, 0.2),
  'claude-sonnet-4-6': anthropic(3, 15, 0.3),
  'claude-sonnet-4-5': { ...anthropic(3, 15, 0.3), longContextThreshold: 200_000, longContext: anthropic(6, 22.5, 0.6) },
  'claude-sonnet-4': { ...anthropic(3, 15, 0.3), longContextThreshold: 200_000, longContext: anthropic(6, 22.5, 0.6) },
  'claude-haiku-5-5': { ...anthropic(0.1, 0.5, 0.01), longContextThreshold: 100_000, longContext: anthropic(0.5, 2.5, 0.05) },
  'claude-haiku-4-5': anthropic(1, 5, 0.1),
  'claude-haiku-3-5': anthropic(0.8, 4, 0.08),
  'gpt-5.5': openai(5, 0.5, 30),
  'gpt-5.4': openai(2.5, 0.25, 15),
  'gpt-5.4-mini': openai(0.75, 0.075, 4.5),
  'gpt-5.4-nano': openai(0.2, 0.02, 1.25),
  'gpt-5.3-codex': openai(1.75, 0.175, 14),
  'gpt-5.2-codex': openai(1.75, 0.175, 14),
  'gpt-5.2': openai(1.75, 0.175, 14),
  'gpt-5.1-codex-max': openai(1.25, 0.125, 10),
  'gpt-5.1-codex': openai(1.25, 0.125, 10),
  'gpt-5.1': openai(1.25, 0.125, 10),
  'gpt-5-codex': openai(1.25, 0.125, 10),
  'gpt-5': openai(1.25, 0.125, 10),
  'gpt-5-mini': openai(0.25, 0.025, 2),
  'gpt-5-nano': openai(0.05, 0.005, 0.4),
};

/**
 * The table's name for a model id: lower case, without a provider prefix (`anthropic/`), a date suffix
 * (`-20250929`, `-2026-03-05`), `-latest` or a context marker (`[1m]`). Only exact names match: an unknown
 * model must not borrow a neighbour's price.
 */
export function priceName(model: string): string {
  return model
    .toLowerCase()
    .replace(/^[a-z-]+\//, '')
    .replace(/\[[^\]]*\]$/, '')
    .replace(/-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/, '');
}

/** Prices in force: an endpoint's own (relays charge their own) over the config's over the list. */
export function priceOf(model: string | undefined, overrides: readonly (Readonly<Record<string, ModelPrice>> | undefined)[]): ModelPrice | undefined {
  if (!model) return undefined;
  const name = priceName(model);
  for (const table of [...overrides, LIST_PRICES]) {
    const p = table?.[model] ?? table?.[name];
    if (p) return p;
  }
  return undefined;
}

/** A rate applied to a count: 0 tokens cost nothing whatever the rate; a count needing an unknown rate makes the cost unknown. */
function part(count: number | null | undefined, rate: number | undefined): number | undefined {
  if (!count) return 0;
  return rate === undefined ? undefined : (count * rate) / 1_000_000;
}

/**
 * The cost of one request's usage in USD: the known counts times their rates. Unknown counts (a broken
 * stream) add nothing — what was reported is what was billed — and a count with no rate makes it undefined.
 */
export function costOf(usage: Usage | undefined, price: ModelPrice | undefined): number | undefined {
  if (!usage || !price) return undefined;
  const prompt = (usage.inputTokens ?? 0) + (usage.cacheReadTokens ?? 0) + (usage.cacheWriteTokens ?? 0);
  const p = price.longContext && price.longContextThreshold !== undefined && prompt > price.longContextThreshold ? price.longContext : price;
  const oneHour = usage.cacheWrite1hTokens ?? 0;
  const fiveMinutes = Math.max(0, (usage.cacheWriteTokens ?? 0) - oneHour);
  const parts = [part(usage.inputTokens, p.input), part(usage.outputTokens, p.output), part(usage.cacheReadTokens, p.cacheRead), part(fiveMinutes, p.cacheWrite5m), part(oneHour, p.cacheWrite1h)];
  if (parts.some((x) => x === undefined)) return undefined;
  return (parts as number[]).reduce((a, b) => a + b, 0);
}
