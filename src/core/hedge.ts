// Hedging: when an attempt has no answer after its usual time, a second one starts elsewhere; the first to answer wins and the other is cancelled.

/** One attempt in the race: its outcome, and how to cancel it. */
export interface Leg<R> {
  outcome: Promise<R>;
  cancel(): void;
}

export interface RaceResult<R> {
  /** The first outcome that answered, if any did. */
  winner: R | undefined;
  /** Every leg's outcome (a cancelled leg's too), in the order they settled. */
  settled: R[];
}

/**
 * Runs `first`; if it has not settled after `afterMs`, starts `second()` (which may decline) and
 * takes whichever answers first, cancelling the other and waiting for it to settle, so nothing of
 * it is left running. A leg that fails leaves the race to the other.
 */
export async function raceWithHedge<R>(first: Leg<R>, second: () => Leg<R> | undefined, afterMs: number, answered: (r: R) => boolean): Promise<RaceResult<R>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), afterMs);
  });
  const early = await Promise.race([first.outcome, late]);
  clearTimeout(timer);
  if (early !== 'late') return { winner: answered(early) ? early : undefined, settled: [early] };
  const hedge = second();
  if (!hedge) {
    const only = await first.outcome;
    return { winner: answered(only) ? only : undefined, settled: [only] };
  }
  const legs = [first, hedge];
  const tagged = legs.map((leg, i) => leg.outcome.then((r) => ({ r, i })));
  const a = await Promise.race(tagged);
  const other = legs[1 - a.i];
  if (answered(a.r)) {
    other.cancel();
    return { winner: a.r, settled: [a.r, await other.outcome] };
  }
  const b = await other.outcome;
  return { winner: answered(b) ? b : undefined, settled: [a.r, b] };
}
