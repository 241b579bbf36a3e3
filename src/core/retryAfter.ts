// Reads how long a rate-limited key must rest from the headers providers actually send.

type Headers = Record<string, string | string[] | undefined>;

function first(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Parses "1s", "6m0s", "250ms", "1h2m3.5s" (OpenAI's reset headers). */
function parseGoDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    matched += m[0];
  }
  return matched.length > 0 && matched === text.trim() ? total : undefined;
}

function parseResetValue(text: string, now: number): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const go = parseGoDuration(t);
  if (go !== undefined) return go;
  const date = Date.parse(t);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Milliseconds until a 429'd key may be used again, from `retry-after-ms`, `retry-after`
 * (seconds or HTTP date), or the providers' rate-limit reset headers; undefined when absent.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = first(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const ra = first(headers, 'retry-after');
  if (ra !== undefined) {
    const v = parseResetValue(ra, now);
    if (v !== undefined) return v;
  }
  const resets = [
    'anthropic-ratelimit-requests-reset',
    'anthropic-ratelimit-tokens-reset',
    'anthropic-ratelimit-input-tokens-reset',
    'anthropic-ratelimit-output-tokens-reset',
    'x-ratelimit-reset-requests',
    'x-ratelimit-reset-tokens',
  ];
  let longest: number | undefined;
  for (const name of resets) {
    const raw = first(headers, name);
    if (raw === undefined) continue;
    const v = parseResetValue(raw, now);
    if (v !== undefined && (longest === undefined || v > longest)) longest = v;
  }
  return longest;
}
