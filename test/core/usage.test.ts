// Usage read from real upstream answers, per protocol, streaming and not: the figures in the log and in stats equal what the upstream reported.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RequestRecord } from '../../src/core/log';
import { costOf, LIST_PRICES, priceName, priceOf } from '../../src/core/prices';
import { localDay, UsageLedger } from '../../src/core/usageLedger';
import { closeAllUpstreams, Handler, startUpstream } from './support/upstream';
import { send, startProxy, stopAllProxies, TestProxy } from './support/proxy';
import { CHAT_EVENTS, responsesEvents, streamHandler, WireEvent } from './support/wire';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

function recorded(proxy: TestProxy): RequestRecord[] {
  const out: RequestRecord[] = [];
  proxy.sy.onRequest((r) => out.push(r));
  return out;
}

function json(body: unknown): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

/** Anthropic: message_start carries input and cache figures and 1 output token; the final message_delta 5 output and the input again. */
const ANTHROPIC_USAGE_STREAM: WireEvent[] = [
  ['message_start', { type: 'message_start', message: { id: 'msg_u', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [], usage: { input_tokens: 10, cache_read_input_tokens: 3000, cache_creation_input_tokens: 500, cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 200 }, output_tokens: 1 } } }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 10, cache_read_input_tokens: 3000, cache_creation_input_tokens: 500, output_tokens: 5 } }],
  ['message_stop', { type: 'message_stop' }],
];

const EXPECTED_ANTHROPIC = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 3000, cacheWriteTokens: 500, cacheWrite1hTokens: 200 };

describe('Anthropic Messages', () => {
  test('a stream: message_delta is cumulative, so the last value per field wins (5 output tokens, not 6); stats and the log agree; a cost applies', async () => {
    const up = await startUpstream(streamHandler(ANTHROPIC_USAGE_STREAM));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-usage-key-0001'] }]);
    const log = recorded(proxy);
    await send(proxy.port, { body: { model: 'claude-sonnet-4-5', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] } });
    assert.deepEqual(log[0].usage, EXPECTED_ANTHROPIC);
    const ep = proxy.sy.stats().endpoints[0];
    const { costUsd, ...totals } = ep.usage;
    assert.deepEqual(totals, { requests: 1, inputTokens: 10, outputTokens: 5, cacheReadTokens: 3000, cacheWriteTokens: 500 });
    assert.deepEqual(ep.keys[0].usage, ep.usage);
    // claude-sonnet-4-5 from the answer's model id: 10×3 + 5×15 + 3000×0.30 + 300×3.75 + 200×6, per million.
    const expected = (10 * 3 + 5 * 15 + 3000 * 0.3 + 300 * 3.75 + 200 * 6) / 1e6;
    assert.ok(Math.abs(costUsd! - expected) < 1e-12, `${costUsd} vs ${expected}`);
    assert.equal(log[0].costUsd, costUsd);
  });

  test('a JSON answer', async () => {
    const up = await startUpstream(json({ id: 'msg_1', type: 'message', model: 'claude-test', content: [{ type: 'text', text: 'hi' }], usage: { input_tokens: 12, output_tokens: 7, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
    const log = recorded(proxy);
    await send(proxy.port);
    assert.deepEqual(log[0].usage, { inputTokens: 12, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.equal(log[0].costUsd, undefined, 'claude-test has no price: no cost, never a guess');
    assert.equal(proxy.sy.stats().endpoints[0].usage.unpriced, 1);
  });

  test('a broken stream records what message_start said and nothing more', async () => {
    const up = await startUpstream(streamHandler(ANTHROPIC_USAGE_STREAM, { count: 3, then: 'reset' }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
    const log = recorded(proxy);
    await send(proxy.port, { body: { model: 'claude-test', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(log[0].outcome, 'STREAM_RESET');
    assert.deepEqual(log[0].usage, { inputTokens: 10, outputTokens: 1, cacheReadTokens: 3000, cacheWriteTokens: 500, cacheWrite1hTokens: 200 });
  });

  test('count_tokens is not usage', async () => {
    const up = await startUpstream(json({ input_tokens: 4242 }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }]);
    const log = recorded(proxy);
    await send(proxy.port, { path: '/v1/messages/count_tokens' });
    assert.equal(log[0].usage, undefined);
    assert.equal(proxy.sy.stats().endpoints[0].usage.requests, 0);
  });
});

describe('OpenAI Chat Completions', () => {
  const body = { model: 'gpt-5.4', stream: true, messages: [{ role: 'user', content: 'hi' }] };

  test('the final chunk\'s usage (asked for with stream_options.include_usage): input = prompt − cached; no cache writes', async () => {
    const up = await startUpstream(streamHandler(CHAT_EVENTS));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const log = recorded(proxy);
    await send(proxy.port, { path: '/v1/chat/completions', body: { ...body, stream_options: { include_usage: true } } });
    assert.deepEqual(log[0].usage, { inputTokens: 176, outputTokens: 7, cacheReadTokens: 1024, cacheWriteTokens: 0 });
    // gpt-test has no price; the request's model did, but the answer named the model that served it.
    assert.equal(log[0].costUsd, undefined);
  });

  test('without include_usage the stream carries none: unknown, not 0, and the client\'s body is not rewritten to get it', async () => {
    const up = await startUpstream(streamHandler(CHAT_EVENTS.filter(([, d]) => !(typeof d === 'object' && d !== null && 'usage' in d))));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const log = recorded(proxy);
    await send(proxy.port, { path: '/v1/chat/completions', body });
    assert.deepEqual(log[0].usage, { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null });
    assert.equal(up.requests[0].body, JSON.stringify(body), 'the body reached the upstream as the client sent it');
    assert.equal(proxy.sy.stats().endpoints[0].usage.unreported, 1);
  });

  test('a JSON answer, priced by its model', async () => {
    const up = await startUpstream(json({ id: 'c1', object: 'chat.completion', model: 'gpt-5.4-2026-03-05', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 2000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 1500 } } }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const log = recorded(proxy);
    await send(proxy.port, { path: '/v1/chat/completions', body: { model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }] } });
    assert.deepEqual(log[0].usage, { inputTokens: 500, outputTokens: 100, cacheReadTokens: 1500, cacheWriteTokens: 0 });
    assert.ok(Math.abs(log[0].costUsd! - (500 * 2.5 + 100 * 15 + 1500 * 0.25) / 1e6) < 1e-12);
  });
});

describe('OpenAI Responses', () => {
  test('the terminal event\'s usage: input_tokens includes the cached ones', async () => {
    const up = await startUpstream(streamHandler(responsesEvents()));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-usage-key-0002'] }], {}, {}, 'openai');
    const log = recorded(proxy);
    await send(proxy.port, { path: '/v1/responses', body: { model: 'gpt-test', stream: true, input: 'hi' } });
    assert.deepEqual(log[0].usage, { inputTokens: 464, outputTokens: 9, cacheReadTokens: 1536, cacheWriteTokens: 0 });
    assert.equal(proxy.sy.stats().endpoints[0].keys[0].usage.cacheReadTokens, 1536);
  });

  test('a JSON answer', async () => {
    const completed = responsesEvents().at(-1)![1] as { response: unknown };
    const up = await startUpstream(json(completed.response));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const log = recorded(proxy);
    await send(proxy.port, { path: '/v1/responses', body: { model: 'gpt-test', input: 'hi' } });
    assert.deepEqual(log[0].usage, { inputTokens: 464, outputTokens: 9, cacheReadTokens: 1536, cacheWriteTokens: 0 });
  });

  test('a broken stream knows nothing yet: every figure unknown', async () => {
    const up = await startUpstream(streamHandler(responsesEvents(), { count: 5, then: 'reset' }));
    const proxy = await startProxy([{ name: 'a', baseUrl: up.url }], {}, {}, 'openai');
    const log = recorded(proxy);
    await send(proxy.port, { path: '/v1/responses', body: { model: 'gpt-test', stream: true, input: 'hi' } });
    assert.deepEqual(log[0].usage, { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheWriteTokens: null });
  });
});

describe('prices', () => {
  test('an exact model name matches with its date or [1m] suffix; an unknown model borrows no neighbour\'s price', () => {
    assert.equal(priceName('claude-sonnet-4-5-20250929'), 'claude-sonnet-4-5');
    assert.equal(priceName('claude-opus-5-5[1m]'), 'claude-opus-5-5');
    assert.equal(priceName('gpt-5.4-mini-2026-03-05'), 'gpt-5.4-mini');
    assert.equal(priceOf('claude-opus-4-9', []), undefined);
    assert.equal(priceOf('gpt-5.4-mini', []), LIST_PRICES['gpt-5.4-mini']);
  });

  test('long-context tiers price every token of a request over the threshold; overrides win (an endpoint\'s over the config\'s)', () => {
    const usage = { inputTokens: 150_000, outputTokens: 1000, cacheReadTokens: 60_000, cacheWriteTokens: 0 };
    assert.ok(Math.abs(costOf(usage, priceOf('claude-sonnet-4-5', []))! - (150_000 * 6 + 1000 * 22.5 + 60_000 * 0.6) / 1e6) < 1e-12);
    const relay = { 'claude-sonnet-4-5': { input: 1, output: 2 } };
    assert.equal(priceOf('claude-sonnet-4-5', [relay, { 'claude-sonnet-4-5': { input: 9, output: 9 } }]), relay['claude-sonnet-4-5']);
    assert.equal(costOf({ ...usage, cacheReadTokens: 5 }, relay['claude-sonnet-4-5']), undefined, 'a cache read with no cache-read rate: no cost, not a guess');
  });

  test('config prices are validated with the field named', async () => {
    const { validateConfig } = await import('../../src/core/config');
    assert.throws(() => validateConfig({ clusters: [{ name: 'c', endpoints: [] }], prices: { m: { input: -1, output: 1 } } }), /prices\.m\.input: must be a price/);
    assert.throws(() => validateConfig({ clusters: [{ name: 'c', endpoints: [{ name: 'e', baseUrl: 'http://x', prices: { m: { input: 1 } } }] }] }), /clusters\[0\]\.endpoints\[0\]\.prices\.m: needs at least "input" and "output"/);
  });
});

describe('usage survives restarts', () => {
  test('per-day totals go to the usage file (0600, atomically) on stop and come back in the next run\'s "today"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-usage-'));
    const file = path.join(dir, 'usage.json');
    const up = await startUpstream(streamHandler(ANTHROPIC_USAGE_STREAM));
    const first = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-usage-key-0003'] }], {}, { usageFile: file });
    await send(first.port, { body: { model: 'claude-test', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] } });
    await first.close();
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(saved.days[localDay(Date.now())].endpoints['main/a'].outputTokens, 5);
    assert.ok(!fs.readFileSync(file, 'utf8').includes('sk-usage-key-0003'), 'no key in the file');
    const second = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-usage-key-0003'] }], {}, { usageFile: file });
    await send(second.port, { body: { model: 'claude-test', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] } });
    const ep = second.sy.stats().endpoints[0];
    assert.equal(ep.usage.outputTokens, 5, 'since this start');
    assert.equal(ep.today.outputTokens, 10, 'today, across both runs');
    assert.equal(ep.keys[0].today.requests, 2);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a garbled usage file is ignored, not fatal', () => {
    const ledger = new UsageLedger();
    ledger.restore({ version: 1, days: { 'not-a-day': {}, '2026-11-30': { endpoints: { x: { requests: 'many' } } } } });
    ledger.restore('garbage');
    assert.deepEqual(ledger.toJSON().days['2026-11-30'], { endpoints: {}, keys: {} });
  });
});

test('Run Diagnostics reports each endpoint\'s and key\'s usage and cost today, in-process and over HTTP', async () => {
  const { checkUsage } = await import('../../src/diagnostics/usageCheck');
  const { Deadline } = await import('../../src/diagnostics/check');
  const up = await startUpstream(streamHandler(ANTHROPIC_USAGE_STREAM));
  const proxy = await startProxy([{ name: 'a', baseUrl: up.url, keys: ['sk-usage-key-0004'] }]);
  await send(proxy.port, { body: { model: 'claude-sonnet-4-5', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] } });
  for (const switchyard of [proxy.sy, undefined]) {
    const checks = await checkUsage({ host: '127.0.0.1', port: proxy.port, switchyard, proxyMs: 1000, deadline: Deadline.in(2000) });
    assert.deepEqual(checks.map((c) => [c.endpoint, c.key ?? null]), [['a', null], ['a', '…0004']]);
    assert.equal(checks[0].evidence.outputTokens, 5);
    assert.equal(typeof checks[0].evidence.costUsd, 'number');
    assert.match(checks[0].summary, /cache hits \d+% of the prompt/);
  }
});
