// `npm run bench:affinity`: what conversation affinity costs per request (deriving the key, looking up and renewing the pin) and the map's memory with 10,000 conversations.

import { MemoryAffinityStore } from '../../src/core/affinity';
import { routeRequest } from '../../src/core/protocols';
import { BodyView } from '../../src/core/protocols/bodyView';
import { commonTraits } from '../../src/core/protocols/traits';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Bodies shaped like the real clients' (sizes from captures): Claude Code ~50 KB with its session header, an SDK script with no signal, Codex ~40 KB. */
function requests(): { name: string; path: string; headers: Record<string, string>; body: Buffer }[] {
  // Prose and code, not one repeated character: string searches have their worst case on a single repeated byte.
  const words = ['the', 'function', 'returns', 'a', 'value', 'const', 'x', '=', 'await', 'fetch(url);', 'if', '(err)', 'throw', 'new', 'Error', 'in', 'src/core/proxy.ts:', 'line', '42', 'because', 'tests', 'failed.'];
  const filler = (n: number) => {
    let out = '';
    for (let i = 0; out.length < n; i++) out += `${words[(i * 7 + (i >> 3)) % words.length]}${i % 17 === 0 ? '\n' : ' '}`;
    return out.slice(0, n);
  };
  const claude = JSON.stringify({
    model: 'claude-sonnet-5-5',
    messages: [{ role: 'user', content: [{ type: 'text', text: filler(9000) }] }, { role: 'assistant', content: 'ok' }, { role: 'user', content: filler(30_000) }],
    system: [{ type: 'text', text: filler(7000), cache_control: { type: 'ephemeral' } }],
    metadata: { user_id: JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: '', session_id: '0b5e6f3c-2d1a-4f7e-9c8b-1a2b3c4d5e6f' }) },
    max_tokens: 128000,
    stream: true,
  });
  const sdk = JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 1024, system: filler(4000), messages: [{ role: 'user', content: filler(6000) }] });
  const codex = JSON.stringify({ model: 'gpt-5.4', stream: true, input: [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text: filler(17_000) }] }, { type: 'message', role: 'user', content: [{ type: 'input_text', text: filler(20_000) }] }], store: false, include: ['reasoning.encrypted_content'], prompt_cache_key: '01a233ca-e983-7392-9647-9450c1d25cfd' });
  const session = '01a233ca-e983-7392-9647-9450c1d25cfd';
  return [
    { name: 'Claude Code (session header)', path: '/v1/messages', headers: { 'x-claude-code-session-id': session, 'anthropic-version': '2023-06-01' }, body: Buffer.from(claude) },
    { name: 'SDK script (opening hash)', path: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' }, body: Buffer.from(sdk) },
    { name: 'Codex (thread-id header)', path: '/v1/responses', headers: { 'thread-id': session, 'session-id': session }, body: Buffer.from(codex) },
  ];
}

function perCall(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - started) / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Two variants measured in alternating rounds (so GC and frequency drift fall on both), the median of each. */
function sideBySide(rounds: number, n: number, a: () => void, b: () => void): [number, number] {
  const as: number[] = [];
  const bs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    as.push(perCall(n, a));
    bs.push(perCall(n, b));
  }
  return [median(as), median(bs)];
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function main(): void {
  if (!(globalThis as { gc?: () => void }).gc) say('note: run with node --expose-gc for the memory figure (npm run bench:affinity does)');
  say('Conversation affinity: cost per request and memory (one process, no network)');
  say('');
  say('| request | body | stream + model only | with the conversation key | the key costs (median of 7 interleaved rounds) |');
  say('| --- | --- | --- | --- | --- |');
  for (const r of requests()) {
    const route = routeRequest('POST', r.path, r.headers);
    // The adapter's traits against the common traits alone (stream, model) on the same body: the difference is the conversation key.
    const [without, withKey] = sideBySide(7, 5000, () => commonTraits(new BodyView(r.body), r.headers), () => route.op.api.traits(route.op, r.body, r.headers, route.pathname));
    say(`| ${r.name} | ${Math.round(r.body.length / 1024)} KB | ${(without / 1000).toFixed(1)} µs | ${(withKey / 1000).toFixed(1)} µs | ${((withKey - without) / 1000).toFixed(1)} µs |`);
  }
  const store = new MemoryAffinityStore({ ttlMs: 15 * 60_000, maxConversations: 50_000 });
  const target = { endpointId: 'main/a', keyId: 'main/a#0123456789ab' };
  const keys = Array.from({ length: 10_000 }, (_, i) => `conversation-key-${i.toString(36).padStart(12, '0')}`);
  const lookup = perCall(200_000, (i) => {
    const k = keys[i % keys.length];
    store.get(k);
    store.remember(k, target);
  });
  say('');
  say(`pin lookup + renewal: ${Math.round(lookup)} ns per request (10,000 conversations in the map)`);
  const fresh = new MemoryAffinityStore({ ttlMs: 15 * 60_000, maxConversations: 50_000 });
  const before = heapUsed();
  // Real keys are the family, the signal and a session id (or a 22-character hash); targets are shared strings from the config snapshot.
  for (let i = 0; i < 10_000; i++) fresh.remember(`anthropic:x-claude-code-session-id:${i.toString(16).padStart(8, '0')}-2d1a-4f7e-9c8b-1a2b3c4d5e6f`, { endpointId: target.endpointId, keyId: target.keyId });
  const after = heapUsed();
  say(`map memory with 10,000 conversations: ${((after - before) / 1024 / 1024).toFixed(2)} MB (${Math.round((after - before) / 10_000)} bytes each), size ${fresh.size}`);
  say('');
  say('For scale: the proxy spends about 100–200 µs of CPU per proxied request (npm run bench), and an LLM turn takes seconds.');
}

main();
