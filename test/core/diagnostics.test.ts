// Diagnostics: each fault injected on loopback ends in exactly its cause code, clean endpoints pass, and no report holds a key.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { SwitchyardConfig, validateConfig } from '../../src/core/config';
import { startSimulatedUpstream } from '../../src/core/demo';
import { freePort as refusedPort } from '../../src/core/ports';
import { RequestRecord } from '../../src/core/log';
import { Switchyard } from '../../src/core/switchyard';
import { checkEnvironment } from '../../src/diagnostics/envCheck';
import { checkHistory } from '../../src/diagnostics/historyCheck';
import { DIAGNOSTIC_CAUSES, DiagnosticCheck, DiagnosticReport, DiagnosticsInput, formatReportMarkdown, formatReportText, localTime, redactReport, runDiagnoseCommand, runDiagnostics } from '../../src/diagnostics';
import { selfSignedLoopbackCert } from './support/diagCerts';
import { Closable, ForeignHolder, jsonReply, spawnForeignHolder, startHttp, startHttps, startSilentTcp } from './support/diagFaults';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-diag-'));
const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

/** Built at run time so no key-shaped literal sits in the source. */
const FAKE = ['sk', 'ant', ''].join('-');

const KEYS = {
  clean: `${FAKE}diag-clean-key-000000000001`,
  cleanTls: `${FAKE}diag-cleantls-key-00000002`,
  openai: 'sk-proj-diag-openai-key-000000003',
  bad: `${FAKE}diag-revoked-key-0000000bad1`,
  limited: `${FAKE}diag-limited-key-0000000004`,
  other: `${FAKE}diag-other-key-00000000005`,
};
const ALL_KEYS = Object.values(KEYS);

/** Short deadlines so every hanging step gives up fast. */
const DEADLINES = { dnsMs: 2000, connectMs: 1000, tlsMs: 400, httpMs: 2500, proxyMs: 600, portOwnerMs: 3000, totalMs: 6000 };
// Generous: loopback probes can take a few hundred ms on a busy machine.
const SLOW_MS = 700;

const closables: Closable[] = [];
let foreign: ForeignHolder;
let trustedCa: string;
let config: SwitchyardConfig;
let report: DiagnosticReport;

async function keep(c: Promise<Closable>): Promise<Closable> {
  const s = await c;
  closables.push(s);
  return s;
}

function record(over: Partial<RequestRecord> & { time: string }): RequestRecord {
  return { id: 'r1', method: 'POST', path: '/v1/messages', cluster: 'faults', family: 'anthropic', api: 'anthropic-messages', operation: 'messages', stream: true, endpoint: null, key: null, status: 200, outcome: 'OK', attempts: [], ttfbMs: 40, durationMs: 100, bytesIn: 10, bytesOut: 10, ...over };
}

function minutesAgo(min: number): string {
  return new Date(Date.now() - min * 60_000).toISOString();
}

function writeLog(file: string, records: RequestRecord[], extraLines: string[] = []): void {
  fs.writeFileSync(file, [...records.map((r) => JSON.stringify(r)), ...extraLines].join('\n') + '\n');
}

function causesOf(r: DiagnosticReport, endpoint: string): string[] {
  return r.endpoints.find((e) => e.endpoint === endpoint)!.causes;
}

function checksOf(r: DiagnosticReport, endpoint: string): DiagnosticCheck[] {
  return r.checks.filter((c) => c.endpoint === endpoint);
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/proxy|_BASE_URL|API_TIMEOUT_MS/i.test(k)) env[k] = v;
  return env;
}

before(async () => {
  const trusted = selfSignedLoopbackCert('switchyard-diag-trusted');
  const untrusted = selfSignedLoopbackCert('switchyard-diag-untrusted');
  trustedCa = trusted.cert;
  foreign = await spawnForeignHolder();

  // Answers only when the probe authenticates the way the proxy does for Anthropic endpoints.
  const anthropicOnly = (key: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const authorized = req.headers['x-api-key'] === key && req.headers['anthropic-version'] === '2023-06-01' && req.url === '/v1/models';
    (authorized ? jsonReply(200, { data: [{ id: 'claude-test', type: 'model' }] }) : jsonReply(401, { type: 'error', error: { type: 'authentication_error', message: 'bad auth headers' } }))(req, res);
  };
  const clean = await keep(startHttp(anthropicOnly(KEYS.clean)));
  const cleanTls = await keep(startHttps(trusted, anthropicOnly(KEYS.cleanTls)));
  const openai = await keep(
    startHttp((req, res) => {
      if (req.headers.authorization !== `Bearer ${KEYS.openai}` || req.headers['x-api-key']) return jsonReply(401, { error: { message: 'no bearer' } })(req, res);
      // An empty Responses request is refused in OpenAI's error shape: the API is there.
      if (req.method === 'POST' && req.url === '/v1/responses') return jsonReply(400, { error: { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' } })(req, res);
      return jsonReply(200, { object: 'list', data: [{ id: 'gpt-test' }] })(req, res);
    }),
  );
  // A relay that serves Chat Completions only.
  const chatOnly = await keep(startHttp((req, res) => (req.url === '/v1/models' ? jsonReply(200, { object: 'list', data: [] }) : jsonReply(404, { error: { message: `no route ${req.url}` } }))(req, res)));
  const silent = await keep(startSilentTcp());
  const selfSigned = await keep(startHttps(untrusted, jsonReply(200, { data: [] })));
  const basePath = await keep(startHttp((req, res) => (req.url === '/v1/models' ? jsonReply(200, { data: [] }) : jsonReply(404, { error: { message: `no route ${req.url}` } }))(req, res)));
  // The upstream echoes the key it was given, as some relays do; redaction must catch it.
  const badKey = await keep(startHttp((req, res) => jsonReply(401, { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key: ${String(req.headers['x-api-key'])}` } })(req, res)));
  const limited = await keep(startHttp(jsonReply(429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, { 'retry-after': '30' })));
  const overloaded = await keep(startHttp(jsonReply(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })));
  const slow = await keep(startHttp((req, res) => setTimeout(() => jsonReply(200, { data: [] })(req, res), SLOW_MS + 600)));
  const refused = await refusedPort();

  const logFile = path.join(tmp, 'requests.jsonl');
  const stall = (id: string, min: number) =>
    record({ id, time: minutesAgo(min), endpoint: 'stalls', key: '…0005', status: 200, outcome: 'STREAM_STALLED', attempts: [{ endpoint: 'stalls', key: '…0005', cause: 'STREAM_STALLED', status: 200, detail: 'UND_ERR_BODY_TIMEOUT', ms: 30_000 }] });
  writeLog(logFile, [
    // Outside the 15-minute window: must not count against "clean".
    record({ id: 'old', time: minutesAgo(40), outcome: 'UPSTREAM_5XX', status: 502, attempts: [{ endpoint: 'clean', key: '…0001', cause: 'UPSTREAM_5XX', status: 500, ms: 20 }] }),
    stall('s1', 9),
    stall('s2', 4),
    stall('s3', 1),
  ]);

  config = validateConfig({
    port: foreign.port,
    activeCluster: 'faults',
    logFile,
    clusters: [
      {
        name: 'faults',
        protocol: 'anthropic',
        endpoints: [
          { name: 'clean', baseUrl: clean.url, keys: [KEYS.clean] },
          { name: 'clean-tls', baseUrl: cleanTls.url, keys: [KEYS.cleanTls] },
          { name: 'no-dns', baseUrl: 'https://switchyard-diag.invalid', keys: [KEYS.other] },
          { name: 'refused', baseUrl: `http://127.0.0.1:${refused}`, keys: [KEYS.other] },
          { name: 'tls-hang', baseUrl: silent.url, keys: [KEYS.other] },
          { name: 'self-signed', baseUrl: selfSigned.url, keys: [KEYS.other] },
          { name: 'base-path', baseUrl: `${basePath.url}/v1`, keys: [KEYS.other] },
          { name: 'bad-key', baseUrl: badKey.url, keys: [KEYS.bad] },
          { name: 'rate-limited', baseUrl: limited.url, keys: [KEYS.limited] },
          { name: 'overloaded', baseUrl: overloaded.url, keys: [KEYS.other] },
          { name: 'slow', baseUrl: slow.url, keys: [KEYS.other] },
          { name: 'stalls', baseUrl: clean.url, keys: [KEYS.clean] },
          // No keys: the clients' own are passed through, so a 401 to a bare probe is expected.
          { name: 'keyless', baseUrl: clean.url },
        ],
      },
      { name: 'oai', protocol: 'openai', endpoints: [{ name: 'openai-clean', baseUrl: openai.url, keys: [KEYS.openai] }, { name: 'chat-only', baseUrl: chatOnly.url, keys: [KEYS.other] }] },
    ],
  });
  report = await runDiagnostics({
    config,
    env: cleanEnv(),
    clientEnv: { ANTHROPIC_BASE_URL: `http://127.0.0.1:${foreign.port}` },
    homeDir: tmp,
    deadlines: DEADLINES,
    slowMs: SLOW_MS,
    tls: { ca: trustedCa },
  });
});

after(async () => {
  await Promise.all(closables.map((c) => c.close()));
  await foreign?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('each endpoint fault', () => {
  const expected: Record<string, string[]> = {
    clean: [],
    'clean-tls': [],
    'openai-clean': [],
    'chat-only': ['RESPONSES_API_MISSING'],
    keyless: [],
    'no-dns': ['UPSTREAM_DNS'],
    refused: ['UPSTREAM_CONNECT'],
    'tls-hang': ['TLS_HANDSHAKE_TIMEOUT'],
    'self-signed': ['TLS_UNTRUSTED_CERT'],
    'base-path': ['WRONG_BASE_PATH'],
    'bad-key': ['KEY_INVALID'],
    'rate-limited': ['RATE_LIMITED'],
    overloaded: ['OVERLOADED'],
    slow: ['SLOW_ENDPOINT'],
    stalls: ['STREAM_STALLED'],
  };

  for (const [endpoint, causes] of Object.entries(expected)) {
    test(`${endpoint} ends in ${causes.length ? causes.join(', ') : 'ok'}`, () => {
      assert.deepEqual(causesOf(report, endpoint), causes, JSON.stringify(checksOf(report, endpoint), null, 2));
      if (causes.length === 0) assert.equal(report.endpoints.find((e) => e.endpoint === endpoint)!.status, 'ok');
    });
  }

  test('the Responses probe is an empty request (no tokens spent), once per OpenAI endpoint', () => {
    const probes = checksOf(report, 'openai-clean').filter((c) => c.title === 'Responses API');
    assert.equal(probes.length, 1);
    assert.equal(probes[0].status, 'ok');
    assert.equal(checksOf(report, 'clean').filter((c) => c.title === 'Responses API').length, 0, 'not for Anthropic endpoints');
  });

  test('codes renamed to the proxy vocabulary stay readable under their old names for one release', () => {
    const formerly = (endpoint: string) => checksOf(report, endpoint).filter((c) => c.status !== 'ok').map((c) => c.formerly);
    assert.deepEqual(formerly('refused'), ['CONNECT_REFUSED']);
    assert.deepEqual(formerly('no-dns'), ['DNS_FAILED']);
    assert.deepEqual(formerly('stalls'), ['STREAM_STALLS']);
    assert.deepEqual(formerly('bad-key'), [undefined], 'a code that kept its name has no alias');
    for (const c of report.checks) assert.ok(DIAGNOSTIC_CAUSES.includes(c.cause), `${c.cause} is in the one table`);
  });

  test('the whole run with hanging endpoints stays within its deadlines', () => {
    assert.ok(report.durationMs < 4000, `took ${report.durationMs} ms`);
  });

  test('steps stop at the first failure and clean endpoints show every step with timings', () => {
    assert.deepEqual(checksOf(report, 'clean').map((c) => c.step), ['dns', 'tcp', 'http']);
    assert.deepEqual(checksOf(report, 'clean-tls').map((c) => c.step), ['dns', 'tcp', 'tls', 'http']);
    assert.deepEqual(checksOf(report, 'refused').map((c) => c.step), ['dns', 'tcp']);
    assert.deepEqual(checksOf(report, 'no-dns').map((c) => c.step), ['dns']);
    const tls = checksOf(report, 'clean-tls').find((c) => c.step === 'tls')!;
    assert.equal(tls.evidence.subject, 'switchyard-diag-trusted');
    assert.match(String(tls.evidence.validTo), /^\d{4}-\d\d-\d\dT/);
    assert.equal(typeof checksOf(report, 'clean').find((c) => c.step === 'http')!.evidence.latencyMs, 'number');
  });

  test('the evidence and the fix say what happened and what to do', () => {
    const dns = checksOf(report, 'no-dns')[0];
    assert.match(String(dns.evidence.failureClass), /ENOTFOUND|EAI_AGAIN|EAI_NONAME|TIMEOUT/);
    const untrusted = checksOf(report, 'self-signed').find((c) => c.step === 'tls')!;
    assert.match(untrusted.fix!, /NODE_EXTRA_CA_CERTS/);
    assert.match(untrusted.fix!, /http\.proxy/);
    assert.equal(untrusted.evidence.verifyError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    const limited = checksOf(report, 'rate-limited').find((c) => c.step === 'http')!;
    assert.ok(Math.abs(Number(limited.evidence.retryAfterMs) - 30_000) < 1000);
    assert.ok(Date.parse(String(limited.evidence.resetAt)) > Date.now());
    assert.equal(limited.status, 'warn');
    const basePath = checksOf(report, 'base-path').find((c) => c.step === 'http')!;
    assert.match(basePath.fix!, /ends in \/v1/);
    const hang = checksOf(report, 'tls-hang').find((c) => c.step === 'tls')!;
    assert.ok(hang.ms >= DEADLINES.tlsMs - 50 && hang.ms < DEADLINES.tlsMs + 500, `tls step took ${hang.ms} ms`);
    const stalls = report.checks.find((c) => c.area === 'history' && c.endpoint === 'stalls')!;
    assert.equal(stalls.evidence.count, 3);
    assert.equal(stalls.status, 'fail');
    assert.match(String(stalls.evidence.example), /s3 .*STREAM_STALLED/);
  });

  test('per-key probes are labelled with the key suffix only', () => {
    const bad = checksOf(report, 'bad-key').find((c) => c.step === 'http')!;
    assert.equal(bad.key, `…${KEYS.bad.slice(-4)}`);
    assert.equal(bad.cause, 'KEY_INVALID');
  });
});

describe('the proxy and its port', () => {
  test('a port held by a foreign process is named by pid and program', () => {
    const port = report.checks.find((c) => c.area === 'port')!;
    assert.equal(port.cause, 'PORT_IN_USE_FOREIGN');
    assert.equal(port.status, 'fail');
    if (process.platform === 'linux') {
      assert.equal(port.evidence.pid, foreign.pid);
      assert.match(String(port.evidence.program), /node/);
    }
    const proxy = report.checks.find((c) => c.area === 'proxy')!;
    assert.equal(proxy.cause, 'PROXY_NOT_RUNNING');
  });

  test('a Switchyard in this process reports round trip, uptime, lag, memory, sockets and requests in flight', async () => {
    const cleanOnly = validateConfig({ port: 0, clusters: [{ name: 'c', protocol: 'anthropic', endpoints: [{ name: 'clean', baseUrl: config.clusters[0].endpoints[0].baseUrl, keys: [KEYS.clean] }] }] });
    const sy = new Switchyard({ config: cleanOnly, env: {}, writeRequestLog: false, usageFile: false });
    const { port } = await sy.start(0, '127.0.0.1');
    try {
      const base: DiagnosticsInput = { config: cleanOnly, env: {}, clientEnv: { ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` }, homeDir: tmp, deadlines: DEADLINES };
      const inProcess = await runDiagnostics({ ...base, switchyard: sy });
      const proxy = inProcess.checks.find((c) => c.area === 'proxy')!;
      assert.equal(proxy.status, 'ok', proxy.summary);
      for (const k of ['healthRoundTripMs', 'uptime', 'inFlight', 'upstreamSockets', 'eventLoopLagP99Ms', 'heapUsedMb', 'rssMb']) assert.ok(k in proxy.evidence, `missing ${k}`);
      const ownPort = inProcess.checks.find((c) => c.area === 'port')!;
      assert.equal(ownPort.cause, 'OK');
      assert.match(ownPort.summary, /this Switchyard/);
      assert.equal(inProcess.status, 'ok', formatReportText(inProcess));

      // Seen from outside (another window or the CLI), the same proxy is another Switchyard: fine.
      const outside = await runDiagnostics({ ...base, proxy: { host: '127.0.0.1', port } });
      const otherPort = outside.checks.find((c) => c.area === 'port')!;
      assert.equal(otherPort.cause, 'PORT_HELD_BY_OTHER_SWITCHYARD');
      assert.equal(otherPort.status, 'ok');
      assert.equal(outside.checks.find((c) => c.area === 'proxy')!.status, 'ok');
    } finally {
      await sy.stop(0);
    }
  });

  test('a stopped in-process proxy is reported as not running, not as broken', async () => {
    const cfg = validateConfig({ port: await refusedPort(), clusters: [{ name: 'c', endpoints: [] }] });
    const sy = new Switchyard({ config: cfg, env: {}, writeRequestLog: false, usageFile: false });
    const r = await runDiagnostics({ config: cfg, switchyard: sy, env: {}, clientEnv: {}, homeDir: tmp, deadlines: DEADLINES });
    assert.equal(r.checks.find((c) => c.area === 'proxy')!.cause, 'PROXY_NOT_RUNNING');
    assert.equal(r.checks.find((c) => c.area === 'port')!.summary, `port ${cfg.port} is free`);
  });
});

describe('redaction', () => {
  test('the report, its text and its Markdown contain no key, even one an upstream echoed back', () => {
    const outputs = [JSON.stringify(report), formatReportText(report), formatReportMarkdown(report)];
    for (const out of outputs) for (const key of ALL_KEYS) assert.ok(!out.includes(key), `a full key leaked: …${key.slice(-4)}`);
    const bad = checksOf(report, 'bad-key').find((c) => c.step === 'http')!;
    assert.match(String(bad.evidence.upstreamMessage), new RegExp(`invalid x-api-key: …${KEYS.bad.slice(-4)}`));
  });

  test('redactReport scrubs given keys, key-shaped strings and URL passwords anywhere in a report', () => {
    const leaky: DiagnosticReport = {
      ...report,
      checks: [
        { ...report.checks[0], summary: `saw ${KEYS.clean}`, fix: `use ${FAKE}api03-abcdefghijklmnopqrstuvwxyz0123`, evidence: { list: [KEYS.limited], url: 'http://user:hunter2@corp:3128', header: 'authorization: Bearer abcdefghijklmnop1234' } },
      ],
    };
    const text = JSON.stringify(redactReport(leaky, [KEYS.clean, KEYS.limited]));
    for (const secret of [KEYS.clean, KEYS.limited, `${FAKE}api03-abcdefghijklmnopqrstuvwxyz0123`, 'hunter2', 'abcdefghijklmnop1234']) assert.ok(!text.includes(secret), secret);
    assert.ok(text.includes(`…${KEYS.clean.slice(-4)}`));
  });
});

describe('the config', () => {
  test('empty clusters, unknown protocols, duplicates, bad URLs, a missing active cluster and missing keys are named', async () => {
    const base = validateConfig({ port: await refusedPort(), clusters: [{ name: 'x', endpoints: [] }] });
    const broken = {
      ...base,
      activeCluster: 'gone',
      clusters: [
        { name: 'empty', protocol: 'anthropic', endpoints: [] },
        {
          name: 'odd',
          protocol: 'gemini',
          endpoints: [
            { name: 'dup', baseUrl: 'ftp://example.invalid' },
            { name: 'dup', baseUrl: 'http://127.0.0.1:1', keyEnv: 'SWITCHYARD_DIAG_UNSET_KEY' },
          ],
        },
      ],
    } as unknown as SwitchyardConfig;
    const r = await runDiagnostics({ config: broken, env: {}, clientEnv: {}, homeDir: tmp, deadlines: DEADLINES });
    const causes = new Set(r.checks.filter((c) => c.area === 'config').map((c) => c.cause));
    assert.deepEqual([...causes].sort(), ['ACTIVE_CLUSTER_MISSING', 'CLUSTER_EMPTY', 'KEY_MISSING', 'NAME_DUPLICATE', 'PROTOCOL_UNKNOWN', 'URL_INVALID']);
    assert.equal(new Set(r.checks.map((c) => c.id)).size, r.checks.length, 'check ids are unique');
    assert.ok(r.endpoints.find((e) => e.cluster === 'odd')!.causes.includes('PROTOCOL_UNKNOWN'));
  });
});

describe("the clients' environment", () => {
  const timeouts = validateConfig({ clusters: [{ name: 'x', endpoints: [] }] }).timeouts;
  const envInput = (clientEnv: NodeJS.ProcessEnv, homeDir = tmp, families: ('anthropic' | 'openai')[] = ['anthropic']) => ({ clientEnv, homeDir, proxyHost: '127.0.0.1', proxyPort: 7860, families, timeouts });
  const causeOf = async (clientEnv: NodeJS.ProcessEnv, title: string, homeDir = tmp, families: ('anthropic' | 'openai')[] = ['anthropic']) => (await checkEnvironment(envInput(clientEnv, homeDir, families))).find((c) => c.title === title)!;
  const homeWith = (files: Record<string, string>) => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(home, name)), { recursive: true });
      fs.writeFileSync(path.join(home, name), text);
    }
    return home;
  };

  test('where Codex is pointed: its config.toml, not OPENAI_BASE_URL', async () => {
    const openai = ['anthropic', 'openai'] as ('anthropic' | 'openai')[];
    assert.equal((await causeOf({}, 'Codex', homeWith({}), openai)).cause, 'OK', 'no ~/.codex: Codex is not used here');
    const unpointed = await causeOf({ OPENAI_BASE_URL: 'http://127.0.0.1:7860/v1' }, 'Codex', homeWith({ '.codex/config.toml': 'model = "gpt-5"\n' }), openai);
    assert.equal(unpointed.cause, 'CODEX_NOT_POINTED');
    assert.match(unpointed.fix ?? '', /ignores the OPENAI_BASE_URL variable/);
    assert.equal((await causeOf({}, 'Codex', homeWith({ '.codex/config.toml': 'openai_base_url = "https://relay.example.com/v1"\n' }), openai)).cause, 'CODEX_POINTED_ELSEWHERE');
    assert.equal((await causeOf({}, 'Codex', homeWith({ '.codex/config.toml': 'openai_base_url = "http://127.0.0.1:7860/v1"\n' }), openai)).cause, 'OK');
    const provider = 'model_provider = "sy"\n[model_providers.sy]\nname = "sy"\nbase_url = "http://localhost:7860/v1"\nwire_api = "responses"\n';
    assert.equal((await causeOf({}, 'Codex', homeWith({ '.codex/config.toml': provider }), openai)).cause, 'OK');
    const codexHome = homeWith({ 'elsewhere/config.toml': 'openai_base_url = "http://127.0.0.1:7860/v1"\n' });
    assert.equal((await causeOf({ CODEX_HOME: path.join(codexHome, 'elsewhere') }, 'Codex', codexHome, openai)).cause, 'OK', 'CODEX_HOME is followed');
    assert.equal((await checkEnvironment(envInput({}, homeWith({ '.codex/config.toml': '' })))).some((c) => c.title === 'Codex'), false, 'no openai cluster, no Codex check');
  });

  test('subscription logins pointed at the proxy are named, their tokens never shown', async () => {
    const token = ['eyJhbGciOiJSUzI1NiJ9', 'eyJzdWIiOiJ1c2VyIn0', 'c2lnbmF0dXJlLXNlY3JldA'].join('.');
    const home = homeWith({
      '.codex/config.toml': 'openai_base_url = "http://127.0.0.1:7860/v1"\n',
      '.codex/auth.json': JSON.stringify({ OPENAI_API_KEY: null, tokens: { access_token: token, refresh_token: 'rt-secret-value', account_id: 'acct' } }),
      '.claude/.credentials.json': JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-secret-value', refreshToken: 'sk-ant-ort01-secret' } }),
    });
    const checks = await checkEnvironment(envInput({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:7860' }, home, ['anthropic', 'openai']));
    const logins = checks.filter((c) => c.cause === 'SUBSCRIPTION_LOGIN');
    assert.equal(logins.length, 2, JSON.stringify(checks, null, 2));
    assert.match(logins.map((c) => c.summary).join('\n'), /Claude subscription[\s\S]*ChatGPT/);
    const text = JSON.stringify(checks);
    for (const secret of [token, 'rt-secret-value', 'sk-ant-oat01-secret-value']) assert.ok(!text.includes(secret));
    const withKey = await checkEnvironment(envInput({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:7860', ANTHROPIC_API_KEY: 'sk-ant-api' }, home, ['anthropic']));
    assert.equal(withKey.filter((c) => c.cause === 'SUBSCRIPTION_LOGIN').length, 0, 'an API key in the environment is what Claude Code sends then');
  });

  test('whether new terminals get the base URL', async () => {
    assert.equal((await causeOf({}, 'Base URL')).cause, 'BASE_URL_NOT_SET');
    assert.equal((await causeOf({ ANTHROPIC_BASE_URL: 'http://localhost:7860' }, 'Base URL')).cause, 'OK');
    assert.equal((await causeOf({ ANTHROPIC_BASE_URL: 'https://api.anthropic.com' }, 'Base URL')).cause, 'BASE_URL_ELSEWHERE');
  });

  test('an HTTP proxy without NO_PROXY for localhost intercepts the base URL; its password is not shown', async () => {
    const intercepted = await causeOf({ HTTP_PROXY: 'http://me:hunter2@corp.example:3128' }, 'Proxy variables');
    assert.equal(intercepted.cause, 'PROXY_ENV_INTERCEPTS_LOCALHOST');
    assert.equal(intercepted.status, 'fail');
    assert.ok(!JSON.stringify(intercepted).includes('hunter2'));
    assert.equal((await causeOf({ HTTPS_PROXY: 'http://corp.example:3128' }, 'Proxy variables')).status, 'warn');
    assert.equal((await causeOf({ HTTP_PROXY: 'http://corp.example:3128', NO_PROXY: 'localhost,127.0.0.1' }, 'Proxy variables')).cause, 'OK');
    assert.equal((await causeOf({ https_proxy: 'http://corp.example:3128', no_proxy: '*' }, 'Proxy variables')).cause, 'OK');
  });

  test("Claude Code's API_TIMEOUT_MS shorter than the first-byte deadline, from the environment or settings.json", async () => {
    assert.equal((await causeOf({ API_TIMEOUT_MS: '30000' }, 'Client timeout')).cause, 'CLIENT_TIMEOUT_TOO_SHORT');
    assert.equal((await causeOf({ API_TIMEOUT_MS: '600000' }, 'Client timeout')).cause, 'OK');
    assert.equal((await causeOf({}, 'Client timeout')).cause, 'OK');
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    fs.mkdirSync(path.join(home, '.claude'));
    fs.writeFileSync(path.join(home, '.claude', 'settings.json'), JSON.stringify({ env: { API_TIMEOUT_MS: '45000' } }));
    const fromSettings = await causeOf({}, 'Client timeout', home);
    assert.equal(fromSettings.cause, 'CLIENT_TIMEOUT_TOO_SHORT');
    assert.match(String(fromSettings.evidence.source), /settings\.json$/);
  });
});

describe('recent history', () => {
  test('top failure classes per endpoint in the window, with counts, first/last seen and an example trace', async () => {
    const file = path.join(tmp, 'history.jsonl');
    const absorbed = (id: string, min: number) =>
      record({ id, time: minutesAgo(min), endpoint: 'e2', status: 200, outcome: 'OK', attempts: [{ endpoint: 'e1', key: '…aaaa', cause: 'UPSTREAM_5XX', status: 503, ms: 10 }, { endpoint: 'e2', key: '…bbbb', cause: 'OK', status: 200, ms: 20 }] });
    const many = (id: string, cause: RequestRecord['outcome']) => record({ id, time: minutesAgo(2), outcome: cause, status: 502, attempts: [{ endpoint: 'e3', key: null, cause, status: null, ms: 5 }] });
    writeLog(
      file,
      [
        record({ id: 'ancient', time: minutesAgo(16), outcome: 'UPSTREAM_DNS', status: 502, attempts: [{ endpoint: 'e1', key: null, cause: 'UPSTREAM_DNS', status: null, ms: 1 }] }),
        absorbed('a1', 12),
        absorbed('a2', 6),
        absorbed('a3', 3),
        record({ id: 'i1', time: minutesAgo(5), endpoint: 'e2', outcome: 'STREAM_INCOMPLETE', attempts: [{ endpoint: 'e2', key: '…bbbb', cause: 'STREAM_INCOMPLETE', status: 200, ms: 900 }] }),
        record({ id: 'k1', time: minutesAgo(1), status: 429, outcome: 'KEYS_COOLING', attempts: [] }),
        many('m1', 'UPSTREAM_CONNECT'),
        many('m2', 'UPSTREAM_CONNECT'),
        many('m3', 'UPSTREAM_TIMEOUT'),
        many('m4', 'UPSTREAM_TIMEOUT'),
        many('m5', 'UPSTREAM_RESET'),
        many('m6', 'EMPTY_RESPONSE'),
      ],
      ['{"cut off by a crash'],
    );
    const checks = await checkHistory({ file, windowMs: 15 * 60_000 });
    const e1 = checks.filter((c) => c.endpoint === 'e1');
    assert.deepEqual(e1.map((c) => c.cause), ['UPSTREAM_5XX']);
    assert.equal(e1[0].status, 'warn', 'failures failover absorbed are a warning');
    assert.equal(e1[0].evidence.count, 3);
    assert.equal(e1[0].evidence.clientFailures, 0);
    assert.ok(String(e1[0].evidence.firstSeen) < String(e1[0].evidence.lastSeen));
    assert.match(String(e1[0].evidence.example), /^a3 /);
    const e2 = checks.filter((c) => c.endpoint === 'e2');
    assert.deepEqual(e2.map((c) => [c.cause, c.status]), [['STREAM_INCOMPLETE', 'fail']]);
    assert.equal(checks.filter((c) => c.endpoint === 'e3').length, 3, 'only the top three classes per endpoint');
    const cluster = checks.find((c) => c.endpoint === undefined)!;
    assert.equal(cluster.cause, 'KEYS_COOLING');
    assert.equal(cluster.formerly, 'ALL_KEYS_COOLING');
  });

  test('no log file configured, or none written yet, is not a problem; the hint names the config file\'s "logFile"', async () => {
    const off = (await checkHistory({ file: undefined, windowMs: 60_000 }))[0];
    assert.equal(off.status, 'ok');
    assert.match(off.summary, /`logFile` in the config file/);
    assert.equal((await checkHistory({ file: path.join(tmp, 'never-written.jsonl'), windowMs: 60_000 }))[0].status, 'ok');
  });

  test('without a log file the records held in memory are the history: counted, in the window only, with right plurals', async () => {
    const failed = (id: string, min: number) => record({ id, time: minutesAgo(min), status: 502, outcome: 'UPSTREAM_5XX', attempts: [{ endpoint: 'e1', key: '…aaaa', cause: 'UPSTREAM_5XX', status: 500, ms: 3 }] });
    const records = [failed('old', 20), ...['f1', 'f2', 'f3', 'f4', 'f5', 'f6'].map((id) => failed(id, 1)), record({ id: 'ok1', time: minutesAgo(1) })];
    const checks = await checkHistory({ file: undefined, records, windowMs: 15 * 60_000 });
    assert.equal(checks.length, 1);
    assert.equal(checks[0].status, 'fail');
    assert.equal(checks[0].evidence.count, 6);
    assert.equal(checks[0].evidence.clientFailures, 6);
    assert.match(checks[0].summary, /^6 attempts ended .* \(6 requests failed for the client\)$/);
    const one = await checkHistory({ file: undefined, records: [failed('only', 1)], windowMs: 15 * 60_000 });
    assert.match(one[0].summary, /\(1 request failed for the client\)$/);
    const quiet = await checkHistory({ file: undefined, records: [record({ id: 'ok2', time: minutesAgo(1) })], windowMs: 15 * 60_000 });
    assert.match(quiet[0].summary, /no failures in the last 15 min \(1 request\)$/);
  });

  test('a request whose three attempts failed on one endpoint counts three attempts but one failed request', async () => {
    const attempt = { endpoint: 'e1', key: null, cause: 'UPSTREAM_5XX' as const, status: 503, ms: 2 };
    const records = ['a', 'b'].map((id) => record({ id, time: minutesAgo(1), status: 503, outcome: 'UPSTREAM_5XX', attempts: [attempt, attempt, attempt] }));
    const [check] = await checkHistory({ file: undefined, records, windowMs: 15 * 60_000 });
    assert.equal(check.evidence.count, 6);
    assert.equal(check.evidence.clientFailures, 2);
    assert.match(check.summary, /^6 attempts ended .* \(2 requests failed for the client\)$/);
  });

  test('fixes name what the reader sets: switchyard.* settings and palette commands in VS Code, config fields and the CLI headless', async () => {
    const cfg = validateConfig({ port: await refusedPort(), clusters: [{ name: 'faults', endpoints: [{ name: 'nokeys', baseUrl: `http://127.0.0.1:${await refusedPort()}`, keyEnv: 'SWITCHYARD_UNSET_KEY_VAR' }] }] });
    const clientEnv = { API_TIMEOUT_MS: '1000' };
    const fixes = async (runsIn: 'vscode' | 'headless') => formatReportMarkdown(await runDiagnostics({ config: cfg, env: {}, clientEnv, homeDir: tmp, deadlines: DEADLINES, runsIn }));
    const vscodeReport = await fixes('vscode');
    assert.match(vscodeReport, /"Switchyard: Add Keys"/);
    assert.match(vscodeReport, /`streamFirstByteMs` of the `switchyard\.timeouts` setting/);
    assert.match(vscodeReport, /"Switchyard: Start Proxy"/);
    assert.doesNotMatch(vscodeReport, /switchyard keys add|switchyard serve|in the config file/);
    const headless = await fixes('headless');
    assert.match(headless, /`switchyard keys add`/);
    assert.match(headless, /`streamFirstByteMs` of `timeouts` in the config file/);
    assert.doesNotMatch(headless, /Switchyard: Add Keys|switchyard\.timeouts/);
  });

  test('runDiagnostics reads the records it is given when the config has no log file', async () => {
    const cfg = validateConfig({ port: await refusedPort(), clusters: [{ name: 'faults', endpoints: [{ name: 'down', baseUrl: `http://127.0.0.1:${await refusedPort()}` }] }] });
    const recentRequests = [1, 2, 3].map((i) => record({ id: `r${i}`, time: minutesAgo(1), status: 502, outcome: 'UPSTREAM_CONNECT', attempts: [{ endpoint: 'down', key: null, cause: 'UPSTREAM_CONNECT', status: null, ms: 1 }] }));
    const r = await runDiagnostics({ config: cfg, env: {}, clientEnv: {}, homeDir: tmp, deadlines: DEADLINES, recentRequests });
    const history = r.checks.filter((c) => c.area === 'history');
    assert.deepEqual(history.map((c) => [c.cause, c.evidence.clientFailures]), [['UPSTREAM_CONNECT', 3]]);
    assert.doesNotMatch(formatReportMarkdown(r), /logFile|log\.file|request log is off/, 'no hint to set a log file when the history is there');
  });
});

describe('deadlines', () => {
  test('the overall deadline cuts a step short even when its own deadline is longer', async () => {
    const silent = await keep(startSilentTcp());
    const cfg = validateConfig({ port: await refusedPort(), clusters: [{ name: 'c', endpoints: [{ name: 'hang', baseUrl: silent.url }] }] });
    const started = Date.now();
    const r = await runDiagnostics({ config: cfg, env: {}, clientEnv: {}, homeDir: tmp, deadlines: { tlsMs: 30_000, totalMs: 400 } });
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    assert.deepEqual(r.endpoints[0].causes, ['TLS_HANDSHAKE_TIMEOUT']);
  });
});

describe('formats and the command', () => {
  test('text and Markdown name every failing cause with its evidence and fix', () => {
    const text = formatReportText(report);
    const md = formatReportMarkdown(report);
    for (const c of report.checks.filter((k) => k.status !== 'ok')) {
      assert.ok(text.includes(c.cause), `text lacks ${c.cause}`);
      assert.ok(md.includes(`\`${c.cause}\``), `markdown lacks ${c.cause}`);
    }
    assert.match(text, /^Switchyard diagnostics: \d+ failed/);
    assert.match(text, /faults\/self-signed .*→ FAIL/);
    assert.match(md, /### \*\*\[failed\]\*\* faults\/tls-hang/);
    assert.match(md, /- Fix: /);
  });

  test('failures come first, then warnings, then what passed: sections, endpoints and checks alike', () => {
    const rank: Record<string, number> = { '**[failed]**': 2, '**[warning]**': 1, '[ok]': 0 };
    const marks = (text: string) => [...text.matchAll(/^(?:- |### )(\*\*\[failed\]\*\*|\*\*\[warning\]\*\*|\[ok\]) /gm)].map((m) => rank[m[1]]);
    const nonIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x <= xs[i - 1]);
    const sectionsMd = formatReportMarkdown(report).split(/^## /m).slice(1);
    assert.ok(sectionsMd.length > 2);
    assert.ok(nonIncreasing(sectionsMd.map((s) => Math.max(...marks(s)))), 'sections are worst first');
    for (const s of sectionsMd) {
      const groups = s.split(/^### /m);
      assert.ok(nonIncreasing(groups.slice(1).map((g) => marks(`### ${g}`)[0])), 'endpoints are worst first');
      for (const g of groups) assert.ok(nonIncreasing(marks(g.replace(/^.*\n/, ''))), 'checks are worst first');
    }
    assert.match(formatReportMarkdown(report), /^- \*\*\[failed\]\*\* [^\n]*\n(?: {2}- Evidence: [^\n]*\n)? {2}- Fix: /m, 'a failure carries its fix right under it');
  });

  test('the Markdown has no emoji, words for verdicts, and its time both as ISO and local', () => {
    const md = formatReportMarkdown(report);
    assert.doesNotMatch(md, /\p{Extended_Pictographic}/u);
    assert.doesNotMatch(md, /request\(s\)|\b1 requests\b/);
    assert.ok(md.includes(`${report.createdAt} (${localTime(report.createdAt, false)})`), 'the header has the ISO instant and the local time');
  });

  test('localTime is the runtime zone\'s time in its locale, with the offset: whole hours, half hours, west of UTC and UTC', () => {
    const zone = process.env.TZ;
    const iso = '2026-12-01T23:14:00.000Z';
    const inZone = (timeZone: string) => new Date(iso).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone });
    try {
      for (const [timeZone, offset] of [['Europe/Berlin', 'UTC+1'], ['Asia/Kolkata', 'UTC+5:30'], ['America/Sao_Paulo', 'UTC-3'], ['UTC', 'UTC']]) {
        process.env.TZ = timeZone;
        assert.equal(localTime(iso), `${inZone(timeZone)} (${offset})`);
      }
      assert.equal(localTime('not a time'), 'not a time');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  test('runDiagnoseCommand prints JSON and returns 1 when something failed', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const cfg = validateConfig({ port: await refusedPort(), clusters: [{ name: 'c', endpoints: [{ name: 'down', baseUrl: `http://127.0.0.1:${await refusedPort()}` }] }] });
    const code = await runDiagnoseCommand({ config: cfg, configFile: 'cfg.json', json: true, out: sink, keysFile: path.join(tmp, 'no-tokens.json'), input: { env: {}, clientEnv: {}, homeDir: tmp, deadlines: DEADLINES } });
    assert.equal(code, 1);
    const parsed = JSON.parse(out) as DiagnosticReport;
    assert.deepEqual(parsed.endpoints[0].causes, ['UPSTREAM_CONNECT']);
    assert.equal(parsed.checks.find((c) => c.cause === 'UPSTREAM_CONNECT')?.formerly, 'CONNECT_REFUSED');
    assert.equal(parsed.configFile, 'cfg.json');
  });

  test('`switchyard diagnose` exits 0 on a healthy config and 1 with a readable report otherwise', async () => {
    assert.ok(fs.existsSync(CLI), 'dist/cli.js is not built: run node esbuild.js (npm test does)');
    const healthy = await startSimulatedUpstream('healthy', 0, 5);
    closables.push({ url: healthy.url, port: 0, close: healthy.close });
    const run = (cfg: object) => {
      const file = path.join(tmp, `cli-${Math.random().toString(36).slice(2)}.json`);
      fs.writeFileSync(file, JSON.stringify(cfg));
      const child = spawn(process.execPath, [CLI, 'diagnose', '--config', file], { env: { ...cleanEnv(), HOME: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      return new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })));
    };
    const port = await refusedPort();
    const good = await run({ port, clusters: [{ name: 'c', endpoints: [{ name: 'healthy', baseUrl: healthy.url, keys: [KEYS.clean] }] }] });
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /^Switchyard diagnostics: 0 failed/);
    const bad = await run({ port, clusters: [{ name: 'c', endpoints: [{ name: 'healthy', baseUrl: healthy.url, keys: [KEYS.clean] }, { name: 'down', baseUrl: `http://127.0.0.1:${port}` }] }] });
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /FAIL .*UPSTREAM_CONNECT \(formerly CONNECT_REFUSED\)/);
    assert.ok(!bad.out.includes(KEYS.clean));
  });

  test('`switchyard diagnose` on an invalid config reports it as a finding naming the field, and still checks the rest', async () => {
    const port = await refusedPort();
    const runJson = (text: string) => {
      const file = path.join(tmp, `invalid-${Math.random().toString(36).slice(2)}.json`);
      fs.writeFileSync(file, text);
      const child = spawn(process.execPath, [CLI, 'diagnose', '--config', file, '--json'], { env: { ...cleanEnv(), HOME: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      return new Promise<{ code: number | null; report: DiagnosticReport }>((resolve) => child.on('exit', (code) => resolve({ code, report: JSON.parse(out) as DiagnosticReport })));
    };
    const bad = await runJson(JSON.stringify({ port, clusters: [{ name: 'c', endpoints: [{ name: 'down', baseUrl: `http://127.0.0.1:${port}` }, { name: 'ftp', baseUrl: 'ftp://example.com' }] }] }));
    assert.equal(bad.code, 1);
    const invalid = bad.report.checks.find((c) => c.cause === 'CONFIG_INVALID')!;
    assert.equal(invalid.status, 'fail');
    assert.equal(invalid.evidence.field, 'clusters[0].endpoints[1].baseUrl');
    assert.ok(bad.report.checks.some((c) => c.endpoint === 'down' && c.cause === 'UPSTREAM_CONNECT'), 'the readable endpoints were still probed');
    assert.ok(bad.report.checks.some((c) => c.area === 'proxy'), 'the proxy was still looked for');
    const garbled = await runJson('{ "clusters": [ ');
    assert.equal(garbled.code, 1);
    assert.match(garbled.report.checks.find((c) => c.cause === 'CONFIG_INVALID')!.summary, /not valid JSON/);
  });
});
