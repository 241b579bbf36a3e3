// Time to first byte as a fixed-size histogram: 40 log-spaced bins from 1 ms to 10 min, percentiles read from the bins.

/** Number of bins in every TTFB histogram. */
export const TTFB_BINS = 40;
const MAX_MS = 600_000;
/** Each bin's upper edge is this factor times its lower edge (about 1.39). */
const LOG_STEP = Math.log(MAX_MS) / TTFB_BINS;

/** The bin a time to first byte falls in; below 1 ms is bin 0, 10 min and above the last bin. */
export function ttfbBin(ms: number): number {
  if (!(ms > 1)) return 0;
  const i = Math.floor(Math.log(ms) / LOG_STEP);
  return i >= TTFB_BINS ? TTFB_BINS - 1 : i;
}

/** The lower and upper edge of a bin in ms (bin 0 starts at 0). */
export function binEdges(bin: number): [number, number] {
  return [bin === 0 ? 0 : Math.exp(bin * LOG_STEP), Math.exp((bin + 1) * LOG_STEP)];
}

/**
 * The p-quantile (0 < p ≤ 1) of `count` samples whose bins are `bins[offset .. offset + TTFB_BINS)`,
 * interpolated within its bin (geometrically, linearly in bin 0), so the error stays within one bin.
 * Null when there are no samples.
 */
export function binPercentile(bins: ArrayLike<number>, offset: number, p: number): number | null {
  let count = 0;
  for (let i = 0; i < TTFB_BINS; i++) count += bins[offset + i];
  if (count === 0) return null;
  const rank = Math.max(p * count, Number.MIN_VALUE);
  let below = 0;
  for (let i = 0; i < TTFB_BINS; i++) {
    const c = bins[offset + i];
    if (c > 0 && below + c >= rank) {
      const f = (rank - below) / c;
      const [lo, hi] = binEdges(i);
      return i === 0 ? lo + f * (hi - lo) : lo * Math.pow(hi / lo, f);
    }
    below += c;
  }
  return binEdges(TTFB_BINS - 1)[1];
}
