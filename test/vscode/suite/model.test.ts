// The extension's plain logic: key parsing, settings → config with setting names in errors, cluster edits, wording.
import * as assert from 'assert';
import * as net from 'net';
import { suite, test } from 'mocha';
import { clusterHealth, endpointDescription, keyDescription, parseKeys } from '../../../src/vscode/format';
import { configFromSettings, withCluster, withEndpoint, withEndpointPatch, withoutEndpoint, withoutSettingsKeys } from '../../../src/vscode/settingsModel';
import { completeScheme, endpointNameFor, uniqueName } from '../../../src/vscode/wizard/names';
import { checkReachable, describeReachability } from '../../../src/vscode/reachability';
import type { EndpointStats } from '../../../src/core/stats';
import { emptyTotals } from '../../../src/core/usageLedger';

function endpoint(over: Partial<EndpointStats> = {}): EndpointStats {
  return {
    cluster: 'main', name: 'e', baseUrl: 'https://x', disabled: false, state: 'healthy', requests: 100, failures: 1, inFlight: 2,
    successRate: 0.99, successOf: 240, resetAt: null, latencyMs: 420, consecutiveFailures: 0, nextProbeAt: null, lastError: null, keys: [], usage: emptyTotals(), today: emptyTotals(), conversations: 0, ...over,
  };
}

suite('model', () => {
  test('parseKeys splits lines, spaces and commas, drops quotes, dedupes and rejects non-keys without echoing them', () => {
    const r = parseKeys('"sk-aaaaaaaa1"\nsk-bbbbbbbb2, sk-aaaaaaaa1\r\n\n  abc12  \tsk-cccccccc3;sk-dddddddd4');
    assert.deepStrictEqual(r.keys, ['sk-aaaaaaaa1', 'sk-bbbbbbbb2', 'sk-cccccccc3', 'sk-dddddddd4']);
    assert.strictEqual(r.rejected.length, 1);
    assert.ok(!r.rejected[0].reason.includes('abc12'));
  });

  test('the endpoint description reads like "99% of 240 attempts · 420 ms · 2 in flight", with nothing that counts down', () => {
    assert.strictEqual(endpointDescription(endpoint(), true), '99% of 240 attempts · 420 ms · 2 in flight');
    assert.strictEqual(endpointDescription(endpoint({ disabled: true }), true), 'disabled');
    const probeAt = 1_000_000 + 42_000;
    const open = endpoint({ state: 'open', successRate: 0, successOf: 12, nextProbeAt: probeAt, inFlight: 0 });
    // The same words a second and a minute later while the probe is ahead: nothing to redraw.
    assert.strictEqual(endpointDescription(open, true, 1_000_000), `0% of 12 attempts · 420 ms · probe at ${new Date(probeAt).toLocaleTimeString()}`);
    assert.strictEqual(endpointDescription(open, true, 1_001_000), endpointDescription(open, true, 1_000_000));
    // Once due, it says what will happen: no probe runs until a request comes.
    assert.strictEqual(endpointDescription(open, true, probeAt + 60_000), '0% of 12 attempts · 420 ms · probe on the next request');
    assert.strictEqual(endpointDescription(endpoint({ successOf: 0, latencyMs: null, inFlight: 0 }), true), 'no requests yet');
    const cooling = { suffix: '…a1b2', state: 'cooling' as const, cooldownUntil: 1_042_000, lastError: null, usage: emptyTotals(), today: emptyTotals(), conversations: 0 };
    assert.strictEqual(keyDescription(cooling, 1_000_000), `cooling until ${new Date(1_042_000).toLocaleTimeString()}`);
    assert.strictEqual(keyDescription(cooling, 1_043_000), 'ok');
  });

  test('cluster health counts healthy endpoints of the enabled ones', () => {
    const h = clusterHealth({ endpoints: [endpoint(), endpoint({ state: 'degraded' }), endpoint({ state: 'open' }), endpoint({ disabled: true })] });
    assert.deepStrictEqual(h, { healthy: 1, usable: 2, total: 3, level: 'warning' });
    assert.strictEqual(clusterHealth({ endpoints: [endpoint({ state: 'degraded' })] }).level, 'error');
  });

  test('settings become a config; no clusters means unconfigured; errors name the switchyard.* setting', () => {
    assert.deepStrictEqual(configFromSettings({ clusters: [] }), { kind: 'unconfigured' });
    const ok = configFromSettings({ port: 7999, host: '127.0.0.1', activeCluster: '', clusters: [{ name: 'main', endpoints: [{ name: 'a', baseUrl: 'https://a.example/' }] }], timeouts: {}, retry: { maxAttempts: 2 } });
    assert.strictEqual(ok.kind, 'valid');
    if (ok.kind === 'valid') {
      assert.strictEqual(ok.config.activeCluster, 'main');
      assert.strictEqual(ok.config.port, 7999);
      assert.strictEqual(ok.config.retry.maxAttempts, 2);
      assert.strictEqual(ok.config.clusters[0].endpoints[0].baseUrl, 'https://a.example');
    }
    const bad = configFromSettings({ clusters: [{ name: 'main', endpoints: [{ name: 'a', baseUrl: 'https://a' }] }], timeouts: { connectMs: 'soon' } });
    assert.deepStrictEqual(bad.kind === 'invalid' && bad.setting, 'switchyard.timeouts.connectMs');
    const wrongActive = configFromSettings({ activeCluster: 'nope', clusters: [{ name: 'main', endpoints: [] }] });
    assert.match(wrongActive.kind === 'invalid' ? wrongActive.message : '', /^switchyard\.activeCluster names no configured cluster/);
  });

  test('corporate networks: upstreamProxy and caFile reach the config; a bad proxy URL names its setting', () => {
    const clusters = [{ name: 'main', endpoints: [{ name: 'a', baseUrl: 'https://a' }] }];
    const ok = configFromSettings({ clusters, upstreamProxy: 'http://proxy.corp:3128', caFile: '/etc/corp-ca.pem' });
    assert.strictEqual(ok.kind === 'valid' && ok.config.upstreamProxy, 'http://proxy.corp:3128');
    assert.strictEqual(ok.kind === 'valid' && ok.config.caFile, '/etc/corp-ca.pem');
    const none = configFromSettings({ clusters, upstreamProxy: '', caFile: '' });
    assert.strictEqual(none.kind === 'valid' && none.config.upstreamProxy, undefined);
    const bad = configFromSettings({ clusters, upstreamProxy: 'socks5://x' });
    assert.strictEqual(bad.kind === 'invalid' && bad.setting, 'switchyard.upstreamProxy');
  });

  test('keys written into settings are ignored there and reported for moving to SecretStorage', () => {
    const r = configFromSettings({ clusters: [{ name: 'main', endpoints: [{ name: 'a', baseUrl: 'https://a', keys: ['sk-in-settings-1'] }, { name: 'b', baseUrl: 'https://b', keys: ['sk-in-settings-2'] }] }] });
    assert.strictEqual(r.kind, 'valid');
    if (r.kind === 'valid') {
      // Under the word "keys", and under "tokens", its name before 0.2.
      assert.deepStrictEqual(r.keysInSettings, [{ cluster: 'main', endpoint: 'a', keys: ['sk-in-settings-1'] }, { cluster: 'main', endpoint: 'b', keys: ['sk-in-settings-2'] }]);
      assert.strictEqual(r.config.clusters[0].endpoints[0].keys, undefined);
      assert.strictEqual(r.config.clusters[0].endpoints[1].keys, undefined);
    }
    assert.ok(!JSON.stringify(withoutSettingsKeys([{ name: 'main', endpoints: [{ name: 'a', baseUrl: 'https://a', keys: ['sk-in-settings-1'] }] }])).includes('sk-'));
  });

  test('cluster edits keep what the user wrote and refuse duplicates', () => {
    let list: unknown = [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'a', baseUrl: 'https://a', priority: 3 }], note: 'mine' }];
    list = withEndpoint(list, 'main', { name: 'b', baseUrl: 'https://b' });
    list = withEndpointPatch(list, 'main', 'a', { disabled: true });
    assert.deepStrictEqual(list, [{ name: 'main', protocol: 'anthropic', note: 'mine', endpoints: [{ name: 'a', baseUrl: 'https://a', priority: 3, disabled: true }, { name: 'b', baseUrl: 'https://b' }] }]);
    assert.throws(() => withEndpoint(list, 'main', { name: 'b', baseUrl: 'https://c' }), /already has an endpoint named "b"/);
    assert.throws(() => withCluster(list, { name: 'main', protocol: 'openai' }), /already exists/);
    assert.deepStrictEqual((withoutEndpoint(list, 'main', 'a') as { endpoints: unknown[] }[])[0].endpoints.length, 1);
  });

  test('endpoint names are suggested from the base URL', () => {
    assert.strictEqual(endpointNameFor('https://api.anthropic.com'), 'anthropic');
    assert.strictEqual(endpointNameFor('https://relay.example.com/v1'), 'relay');
    assert.strictEqual(endpointNameFor('http://127.0.0.1:8080'), 'local');
    assert.strictEqual(endpointNameFor('http://[::1]:8080'), 'local');
    assert.strictEqual(endpointNameFor('http://localhost:8080'), 'local');
    assert.strictEqual(endpointNameFor('http://10.0.0.5:8080'), '10.0.0.5');
    assert.strictEqual(uniqueName('local', ['local']), 'local-2');
    assert.strictEqual(uniqueName('local', ['local', 'local-2']), 'local-3');
    assert.strictEqual(uniqueName('relay', ['local']), 'relay');
  });

  test('a missing scheme is completed: https://, or http:// for this machine', () => {
    assert.strictEqual(completeScheme('api.example.com'), 'https://api.example.com');
    assert.strictEqual(completeScheme(' relay.example.com/api '), 'https://relay.example.com/api');
    assert.strictEqual(completeScheme('127.0.0.1:1234'), 'http://127.0.0.1:1234');
    assert.strictEqual(completeScheme('localhost:8080/v1'), 'http://localhost:8080/v1');
    assert.strictEqual(completeScheme('[::1]:9000'), 'http://[::1]:9000');
    assert.strictEqual(completeScheme('http://api.example.com'), 'http://api.example.com');
    assert.strictEqual(completeScheme('ftp://nope'), 'ftp://nope');
  });

  test('a probe that gets no answer says it timed out, and an https URL on a plain port says it does not speak TLS', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const r = await checkReachable(`http://127.0.0.1:${port}`, { timeoutMs: 200 });
      assert.strictEqual(describeReachability(r, 200).text, 'timed out after 0.2 s (nothing answered)');
      silent.removeAllListeners('connection');
      silent.on('connection', (s) => {
        sockets.push(s);
        s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
      });
      const tls = await checkReachable(`https://127.0.0.1:${port}`, { timeoutMs: 2000 });
      assert.strictEqual(describeReachability(tls, 2000).text, `it does not speak TLS on port ${port} (try http:// instead of https://)`);
      const controller = new AbortController();
      silent.removeAllListeners('connection');
      silent.on('connection', (s) => {
        sockets.push(s);
        controller.abort();
      });
      const cancelled = await checkReachable(`http://127.0.0.1:${port}`, { timeoutMs: 2000, signal: controller.signal });
      assert.strictEqual(cancelled.code, 'ABORTED');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test('probe failures read as plain words', () => {
    const words = (code: string, url = 'https://api.example.com') => describeReachability({ reachable: false, ms: 5, code, url }, 3000).text;
    assert.strictEqual(words('ECONNREFUSED', 'http://127.0.0.1:1234/v1/models'), 'nothing listens on 127.0.0.1:1234 (connection refused)');
    assert.match(words('ENOTFOUND'), /^the name api\.example\.com does not resolve/);
    assert.match(words('EAI_AGAIN'), /could not be looked up \(DNS did not answer/);
    assert.match(words('SELF_SIGNED_CERT_IN_CHAIN'), /^its TLS certificate is not trusted here .*switchyard\.caFile/);
    assert.match(words('CERT_HAS_EXPIRED'), /^its TLS certificate has expired/);
    assert.strictEqual(words('TIMEOUT'), 'timed out after 3 s (nothing answered)');
    const status = (s: number, path = '/v1/models') => describeReachability({ reachable: true, status: s, ms: 12, url: `https://relay.example.com${path}` }, 3000);
    assert.deepStrictEqual(status(401), { verdict: 'ok', cause: 'OK', text: 'answered 401 in 12 ms (reachable; needs a key)' });
    assert.deepStrictEqual(status(503), { verdict: 'down', cause: 'UPSTREAM_5XX', text: 'answered 503 in 12 ms — the endpoint is up but failing' });
    assert.match(status(404, '/v1/v1/models').text, /the base URL ends in \/v1, and clients add \/v1 themselves/);
    assert.strictEqual(status(404).verdict, 'warn');
  });
});
