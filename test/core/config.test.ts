// Config validation: defaults filled, and every bad field named with its problem.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, validateConfig } from '../../src/core/config';

const endpoint = { name: 'e', baseUrl: 'https://api.example.test' };
const valid = { clusters: [{ name: 'main', protocol: 'anthropic', endpoints: [endpoint] }] };

function fieldOf(raw: unknown): string {
  try {
    validateConfig(raw);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return `${err.field}: ${err.problem}`;
  }
  assert.fail('expected a ConfigError');
}

test('a minimal config gets the documented defaults', () => {
  const c = validateConfig(valid);
  assert.equal(c.port, 7860);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.activeCluster, 'main');
  assert.equal(c.timeouts.connectMs, 10_000);
  assert.equal(c.timeouts.firstByteMs, 900_000);
  assert.equal(c.timeouts.idleMs, 300_000);
  assert.equal(c.timeouts.totalMs, 0);
  assert.equal(c.retry.maxAttempts, 3);
  assert.equal(c.clusters[0].strategy, 'weighted-round-robin');
  assert.equal(c.clusters[0].endpoints[0].weight, 1);
});

test('the base URL keeps its path and loses a trailing slash', () => {
  const c = validateConfig({ clusters: [{ name: 'm', protocol: 'openai', endpoints: [{ name: 'r', baseUrl: 'http://127.0.0.1:9001/api/' }] }] });
  assert.equal(c.clusters[0].endpoints[0].baseUrl, 'http://127.0.0.1:9001/api');
});

test('bad fields are named with their problem', () => {
  const cases: [unknown, RegExp][] = [
    [{}, /^clusters: must be a list/],
    [{ clusters: [{ name: 'm', protocol: 'grpc', endpoints: [] }] }, /^clusters\[0\]\.protocol: must be one of anthropic, openai/],
    [{ clusters: [{ name: 'm', endpoints: [{ name: 'e', baseUrl: 'ftp://x' }] }] }, /^clusters\[0\]\.endpoints\[0\]\.baseUrl: must use http or https/],
    [{ clusters: [{ name: 'm', endpoints: [endpoint, endpoint] }] }, /^clusters\[0\]\.endpoints\[1\]\.name: duplicate endpoint name/],
    [{ ...valid, activeCluster: 'nope' }, /^activeCluster: names no configured cluster: "nope" \(have: main\)/],
    [{ ...valid, timeouts: { connectMs: 'soon' } }, /^timeouts\.connectMs: must be a number/],
    [{ ...valid, timeouts: { conectMs: 5 } }, /^timeouts\.conectMs: is not a known setting/],
    [{ ...valid, retry: { maxAttempts: 0 } }, /^retry\.maxAttempts: must be between 1 and/],
    [{ ...valid, port: 70000 }, /^port: must be between 0 and 65535/],
    [{ clusters: [{ name: 'm', endpoints: [{ ...endpoint, keys: ['sk-a b'] }] }] }, /^clusters\[0\]\.endpoints\[0\]\.keys\[0\]: must not contain whitespace/],
    [{ clusters: [{ name: 'm', endpoints: [{ ...endpoint, tokens: ['sk-a b'] }] }] }, /^clusters\[0\]\.endpoints\[0\]\.tokens\[0\]: must not contain whitespace/],
    [{ clusters: [{ name: 'm', endpoints: [{ ...endpoint, keys: ['sk-a'], tokens: ['sk-b'] }] }] }, /^clusters\[0\]\.endpoints\[0\]\.tokens: is the older name of "keys"; give one of them/],
    [{ clusters: [{ name: 'm', endpoints: [{ ...endpoint, auth: 'basic' }] }] }, /^clusters\[0\]\.endpoints\[0\]\.auth: must be "x-api-key" or "bearer"/],
  ];
  for (const [raw, expected] of cases) assert.match(fieldOf(raw), expected);
});

test('keys and keyEnv are read under their names before 0.2 too (tokens, tokenEnv)', () => {
  const now = validateConfig({ clusters: [{ name: 'm', endpoints: [{ ...endpoint, keys: ['sk-now-0001'], keyEnv: 'NOW_KEY' }] }] });
  const before = validateConfig({ clusters: [{ name: 'm', endpoints: [{ ...endpoint, tokens: ['sk-now-0001'], tokenEnv: 'NOW_KEY' }] }] });
  assert.deepEqual(before.clusters[0].endpoints[0], now.clusters[0].endpoints[0]);
  assert.deepEqual(now.clusters[0].endpoints[0].keys, ['sk-now-0001']);
  assert.equal(now.clusters[0].endpoints[0].keyEnv, 'NOW_KEY');
});

test('a config error never echoes a key from the config', () => {
  const msg = fieldOf({ clusters: [{ name: 'm', endpoints: [{ ...endpoint, keys: ['sk-secret-value-with space'] }] }] });
  assert.doesNotMatch(msg, /sk-secret/);
});

test('a key pasted into the wrong field is not echoed back, only its length and suffix', () => {
  const pasted = ['sk', 'ant', 'api03', 'pasted-into-the-wrong-field-9z8y'].join('-');
  const msg = fieldOf({ clusters: [{ name: 'm', endpoints: [{ name: 'e', baseUrl: pasted }] }] });
  assert.match(msg, /^clusters\[0\]\.endpoints\[0\]\.baseUrl: is not a valid URL: a \d+-character value ending …9z8y$/);
  assert.doesNotMatch(msg, /pasted-into/);
  assert.match(fieldOf({ ...valid, upstreamProxy: 'socks5://user:hunter2@proxy:1080' }), /socks5:\/\/…@proxy:1080/);
});
