// The headless `switchyard serve` as other tools drive it: listening line, bad config, taken port, live reload, graceful stop.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { anthropicStream, closeAllUpstreams, okJson, startUpstream } from './support/upstream';
import { send, STREAM_BODY, waitFor } from './support/proxy';

const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const children = new Set<ChildProcess>();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cli-'));

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await closeAllUpstreams();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, HOME: tmp, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function listeningPort(r: Run): Promise<number> {
  await waitFor(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(r.stdout()) || r.child.exitCode !== null, 5000, 'the listening line');
  const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(r.stdout());
  assert.ok(m, `no listening line; stderr: ${r.stderr()}`);
  return Number(m[1]);
}

function writeConfig(name: string, config: unknown): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

function cluster(name: string, baseUrl: string, extra: Record<string, unknown> = {}) {
  return { name, protocol: 'anthropic', endpoints: [{ name: `${name}-ep`, baseUrl, ...extra }] };
}

test('serve prints the listening line, proxies, and stops gracefully on SIGTERM letting a stream finish', async () => {
  const up = await startUpstream(anthropicStream(60));
  const file = writeConfig('graceful.json', { activeCluster: 'main', clusters: [cluster('main', up.url)] });
  const r = run(['serve', '--config', file, '--port', '0']);
  const port = await listeningPort(r);
  const streaming = send(port, { body: STREAM_BODY });
  await waitFor(() => up.requests.length === 1, 2000, 'the stream to start');
  r.child.kill('SIGTERM');
  const s = await streaming;
  assert.equal(s.aborted, false, 'the in-flight stream finished');
  assert.match(s.text, /message_stop/);
  assert.equal(await r.exited, 0);
});

test('an invalid config exits non-zero with one line naming the field', async () => {
  const file = writeConfig('bad.json', { clusters: [{ name: 'main', protocol: 'anthropic', endpoints: [{ name: 'x', baseUrl: 'not a url' }] }] });
  const r = run(['serve', '--config', file, '--port', '0']);
  assert.equal(await r.exited, 2);
  const lines = r.stderr().trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /clusters\[0\]\.endpoints\[0\]\.baseUrl: is not a valid URL/);
});

test('without --config and without ~/.switchyard/config.json it says how to make one', async () => {
  const r = run(['serve']);
  assert.equal(await r.exited, 2);
  assert.match(r.stderr(), /does not exist/);
  assert.match(r.stderr(), /"clusters"/);
  assert.match(r.stderr(), /--demo/);
});

test('a port held by a foreign process is named by pid and program', async () => {
  const holder = spawn(process.execPath, ['-e', "require('net').createServer().listen(0,'127.0.0.1',function(){console.log(this.address().port)})"], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(holder);
  const port = await new Promise<number>((resolve) => holder.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))));
  const up = await startUpstream(okJson('up'));
  const file = writeConfig('foreign.json', { clusters: [cluster('main', up.url)] });
  const r = run(['serve', '--config', file, '--port', String(port)]);
  assert.equal(await r.exited, 3);
  assert.match(r.stderr(), new RegExp(`port ${port} is held by node \\(pid ${holder.pid}`));
  holder.kill();
});

test('a port held by another Switchyard says so', async () => {
  const up = await startUpstream(okJson('up'));
  const file = writeConfig('twice.json', { clusters: [cluster('main', up.url)] });
  const first = run(['serve', '--config', file, '--port', '0']);
  const port = await listeningPort(first);
  const second = run(['serve', '--config', file, '--port', String(port)]);
  assert.equal(await second.exited, 3);
  assert.match(second.stderr(), /held by another Switchyard \(pid \d+/);
  assert.match(second.stderr(), /already serving/);
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
});

test('editing the config file switches the active cluster live; an invalid edit is logged and the old config kept', async () => {
  const a = await startUpstream(okJson('a'));
  const b = await startUpstream(okJson('b'));
  const config = { activeCluster: 'one', clusters: [cluster('one', a.url), cluster('two', b.url)] };
  const file = writeConfig('live.json', config);
  const r = run(['serve', '--config', file, '--port', '0']);
  const port = await listeningPort(r);
  assert.equal((await send(port)).json().served_by, 'a');

  fs.writeFileSync(file, JSON.stringify({ ...config, activeCluster: 'two' }));
  await waitFor(() => /applied generation 2/.test(r.stderr()), 3000, 'the reload');
  assert.equal((await send(port)).json().served_by, 'b');

  fs.writeFileSync(file, JSON.stringify({ ...config, activeCluster: 'three' }));
  await waitFor(() => /activeCluster: names no configured cluster/.test(r.stderr()), 3000, 'the rejection');
  assert.match(r.stderr(), /keeping the previous config/);
  assert.equal((await send(port)).json().served_by, 'b');
  r.child.kill('SIGTERM');
  await r.exited;
});

test('--demo starts simulated upstreams so failover is visible without any key', async () => {
  const r = run(['serve', '--demo', '--port', '0']);
  const port = await listeningPort(r);
  for (let i = 0; i < 6; i++) assert.equal((await send(port)).status, 200);
  const stats = await fetch(`http://127.0.0.1:${port}/_switchyard/stats`).then((res) => res.json() as Promise<{ endpoints: { name: string; failures: number }[] }>);
  assert.deepEqual(
    stats.endpoints.map((e) => e.name),
    ['healthy', 'flaky', 'down'],
  );
  assert.ok(stats.endpoints.find((e) => e.name === 'down')!.failures >= 1);
  r.child.kill('SIGINT');
  assert.equal(await r.exited, 0);
});

test('keys add reads keys from stdin into a 0600 key file and list shows only suffixes; "tokens" and --tokens-file, the names before 0.2, still work', async () => {
  const file = path.join(tmp, 'cli-keys.json');
  const add = run(['keys', 'add', '--cluster', 'main', '--endpoint', 'official', '--keys-file', file]);
  add.child.stdin!.end('sk-ant-cli-test-0001aaaa\nsk-ant-cli-test-0002bbbb\n');
  assert.equal(await add.exited, 0, add.stderr());
  assert.match(add.stdout(), /added 2 keys to main\/official/);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const list = run(['tokens', 'list', '--tokens-file', file]);
  assert.equal(await list.exited, 0, list.stderr());
  assert.equal(list.stdout(), 'main/official: …aaaa, …bbbb\n');
  const remove = run(['keys', 'remove', '--cluster', 'main', '--endpoint', 'official', '--suffix', 'aaaa', '--keys-file', file]);
  assert.equal(await remove.exited, 0, remove.stderr());
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { 'main/official': ['sk-ant-cli-test-0002bbbb'] });
});

test('the default key file is ~/.switchyard/keys.json, or tokens.json when only that older one exists', async () => {
  const older = path.join(tmp, '.switchyard', 'tokens.json');
  fs.mkdirSync(path.dirname(older), { recursive: true });
  fs.writeFileSync(older, JSON.stringify({ 'main/relay': ['sk-ant-older-file-0003cccc'] }), { mode: 0o600 });
  try {
    const list = run(['keys', 'list']);
    assert.equal(await list.exited, 0, list.stderr());
    assert.equal(list.stdout(), 'main/relay: …cccc\n');
  } finally {
    fs.rmSync(older);
  }
  const add = run(['keys', 'add', '--cluster', 'main', '--endpoint', 'official']);
  add.child.stdin!.end('sk-ant-new-default-0004dddd\n');
  assert.equal(await add.exited, 0, add.stderr());
  assert.match(add.stdout(), /\.switchyard\/keys\.json/);
});
