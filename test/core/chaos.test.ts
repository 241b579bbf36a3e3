// A seeded chaos run in the suite: three upstreams flipping among 5xx, resets, silence and keep-alive lies, the proxy beside a client without one.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeOutcome, ISSUE_PLAN, runChaosClients, startChaosUpstreams } from './support/chaos';
import { startProxy, stopAllProxies } from './support/proxy';

after(async () => {
  await stopAllProxies();
});

const SEED = 1;
const DURATION_MS = 6000;
const PATIENCE_MS = 8000;

test(`chaos (seed ${SEED}): the proxy saves nearly every request and none runs past the client's patience; a client without it loses a third`, async () => {
  const plan = { ...ISSUE_PLAN, seed: SEED, durationMs: DURATION_MS };
  const upstreams = await startChaosUpstreams(plan);
  try {
    // The product's hard limits (120 s for streams, 15 min otherwise) with the learned deadline's floor scaled to the suite.
    const proxy = await startProxy(
      upstreams.urls.map((url, i) => ({ name: `u${i}`, baseUrl: url })),
      { timeouts: { connectMs: 10_000, firstByteMs: 900_000, streamFirstByteMs: 120_000, idleMs: 300_000, streamFirstByteFloorMs: 300, streamFirstByteInitialMs: 1000 }, health: { ejectAfter: 5, unhealthyAfter: 3, ejectionBaseMs: 30_000 } },
    );
    upstreams.begin();
    const clients = { clients: 4, patienceMs: PATIENCE_MS, thinkMs: 50, durationMs: DURATION_MS };
    const [through, direct] = await Promise.all([
      runChaosClients({ ...clients, target: () => proxy.url }),
      runChaosClients({ ...clients, target: (c, n) => upstreams.urls[(c + n) % upstreams.urls.length] }),
    ]);
    const saved = through.saved / through.total;
    assert.ok(through.total > 150, `enough requests to mean something: ${through.total}`);
    assert.equal(through.pastPatience, 0, `none past the client's patience: ${describeOutcome(through)}`);
    assert.ok(saved >= 0.985, `saved ${describeOutcome(through)}; without the proxy ${describeOutcome(direct)}`);
    assert.ok(direct.saved / direct.total < 0.85, `the chaos is real: without the proxy ${describeOutcome(direct)}`);
    const seen = upstreams.seen.reduce((n, s) => n + s.hang + s.reset + s['503'], 0);
    assert.ok(seen > 10, 'the proxy met hangs, resets and 5xx');
  } finally {
    await upstreams.close();
  }
});
