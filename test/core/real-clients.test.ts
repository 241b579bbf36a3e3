// The real Anthropic and OpenAI SDKs pointed at Switchyard, with SDK retries off so the proxy alone does the recovering.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { anthropicStream, closeAllUpstreams, Handler, refusedPort, resetAfterEvents, startUpstream, status } from './support/upstream';
import { responsesEvents, streamHandler } from './support/wire';
import { startProxy, stopAllProxies } from './support/proxy';

after(async () => {
  await stopAllProxies();
  await closeAllUpstreams();
});

test('Anthropic SDK: a streamed message survives a 529 on the first endpoint and parses strictly', async () => {
  const overloaded = await startUpstream(status(529, {}, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
  const healthy = await startUpstream(anthropicStream(2));
  const proxy = await startProxy([
    { name: 'overloaded', baseUrl: overloaded.url, keys: ['sk-test-sdk-0001'], weight: 100 },
    { name: 'healthy', baseUrl: healthy.url, keys: ['sk-test-sdk-0002'], weight: 1 },
  ]);
  const client = new Anthropic({ apiKey: 'sk-client-placeholder', baseURL: proxy.url, maxRetries: 0 });
  const message = await client.messages.stream({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
  assert.equal(message.content[0].type, 'text');
  assert.equal((message.content[0] as { text: string }).text, 'Hello');
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(overloaded.requests.length, 1);
  assert.equal(healthy.requests[0].headers['x-api-key'], 'sk-test-sdk-0002');
});

test('Anthropic SDK: a stream cut mid-way surfaces as an error in the SDK, not as a clean short answer', async () => {
  const cut = await startUpstream(resetAfterEvents(3));
  const proxy = await startProxy([{ name: 'cut', baseUrl: cut.url }]);
  const client = new Anthropic({ apiKey: 'sk-client-placeholder', baseURL: proxy.url, maxRetries: 0 });
  await assert.rejects(client.messages.stream({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).finalMessage());
});

test('OpenAI SDK: a streamed chat completion fails over from a 503 and ends with its finish reason', async () => {
  const failing = await startUpstream(status(503, {}, { error: { message: 'busy', type: 'server_error' } }));
  const healthy = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (content: string, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-test', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
    res.end(chunk('Hel', null) + chunk('lo', null) + chunk('', 'stop') + 'data: [DONE]\n\n');
  });
  const proxy = await startProxy(
    [
      { name: 'failing', baseUrl: `${failing.url}/v1`, keys: ['sk-test-oai-0001'], weight: 100 },
      { name: 'healthy', baseUrl: `${healthy.url}/v1`, keys: ['sk-test-oai-0002'], weight: 1 },
    ],
    {},
    {},
    'openai',
  );
  const client = new OpenAI({ apiKey: 'sk-client-placeholder', baseURL: proxy.url, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  let text = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, 'Hello');
  assert.equal(finish, 'stop');
  assert.equal(healthy.requests[0].url, '/v1/chat/completions');
  assert.equal(healthy.requests[0].headers.authorization, 'Bearer sk-test-oai-0002');
});

/** A Responses upstream: the stream for `stream: true`, else the completed response as JSON. */
function responsesUpstream(): Handler {
  const events = responsesEvents('Hello from Responses');
  return (req, res, rec) => {
    if (JSON.parse(rec.body).stream === true) return streamHandler(events)(req, res, rec);
    const completed = events[events.length - 1][1] as { response: unknown };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(completed.response));
  };
}

test('OpenAI SDK: responses.stream() fails over from a refused and a 503 endpoint and parses the typed events strictly', async () => {
  const refused = await refusedPort();
  const failing = await startUpstream(status(503, {}, { error: { message: 'busy', type: 'server_error' } }));
  const healthy = await startUpstream(responsesUpstream());
  const proxy = await startProxy(
    [
      { name: 'dead', baseUrl: `http://127.0.0.1:${refused}/v1`, keys: ['sk-test-resp-0001'], priority: 0 },
      { name: 'failing', baseUrl: `${failing.url}/v1`, keys: ['sk-test-resp-0002'], priority: 1 },
      { name: 'healthy', baseUrl: `${healthy.url}/v1`, keys: ['sk-test-resp-0003'], priority: 2 },
    ],
    { strategy: 'priority' },
    {},
    'openai',
  );
  const client = new OpenAI({ apiKey: 'sk-client-placeholder', baseURL: proxy.url, maxRetries: 0 });
  for (let i = 0; i < 3; i++) {
    const response = await client.responses.stream({ model: 'gpt-test', input: 'hi' }).finalResponse();
    assert.equal(response.status, 'completed');
    assert.equal(response.output_text, 'Hello from Responses');
  }
  const ok = await client.responses.create({ model: 'gpt-test', input: 'hi' });
  assert.equal(ok.output_text, 'Hello from Responses');
  const ep = proxy.sy.stats().endpoints.find((e) => e.name === 'healthy')!;
  assert.equal(ep.failures, 0);
  assert.equal(ep.state, 'healthy');
  assert.equal(healthy.requests[0].headers.authorization, 'Bearer sk-test-resp-0003');
});

test('OpenAI SDK: a Responses stream the proxy must cut surfaces as a failed response in the SDK', async () => {
  const cut = await startUpstream(streamHandler(responsesEvents(), { count: 5, then: 'reset' }));
  const proxy = await startProxy([{ name: 'cut', baseUrl: `${cut.url}/v1` }], {}, {}, 'openai');
  const client = new OpenAI({ apiKey: 'sk-client-placeholder', baseURL: proxy.url, maxRetries: 0 });
  const stream = client.responses.stream({ model: 'gpt-test', input: 'hi' });
  const types: string[] = [];
  stream.on('event', (e) => types.push(e.type));
  await assert.rejects(stream.finalResponse());
  assert.equal(types[types.length - 1], 'response.failed', `the SDK read the proxy's response.failed before the cut: ${types.join(', ')}`);
});
