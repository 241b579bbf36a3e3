// The headless entry: `switchyard serve`, `switchyard diagnose` and `switchyard keys` over the core.

import * as fs from 'node:fs';
import * as http from 'node:http';
import { ConfigError, SwitchyardConfig } from './core/config';
import { DEFAULT_CONFIG_PATH, loadConfigFile, watchConfigFile } from './core/configFile';
import { startDemo } from './core/demo';
import { LOG_LEVELS, LogLevel, streamLogger } from './core/log';
import { expandHome } from './core/requestLogFile';
import { PortInUseError, Switchyard, VERSION } from './core/switchyard';
import { DEFAULT_KEY_FILE, KeyFile } from './core/keyFile';
import { runDiagnoseCommand } from './diagnostics/command';
import { coreDashboardSource } from './dashboard/coreSource';
import { handleDashboardRequest } from './dashboard/headless';
import { PROXY_PROCESS_ARG } from './proxyProcess/messages';
import { runProxyProcess } from './proxyProcess/main';

const USAGE = `Usage:
  switchyard serve [--config PATH] [--port N] [--host H] [--log-level debug|info|warn|error]
  switchyard serve --demo [--port N]     built-in simulated upstreams (healthy, flaky, down); no key needed
  switchyard diagnose [--config PATH] [--json]
  switchyard keys add --cluster C --endpoint E      (keys on stdin, one per line)
  switchyard keys remove --cluster C --endpoint E --suffix a1b2
  switchyard keys list                              (add --keys-file PATH to use another key file)
  switchyard --version

The config defaults to ${DEFAULT_CONFIG_PATH}; keys may also live in ${DEFAULT_KEY_FILE} (mode 0600)
or in environment variables named by an endpoint's "keyEnv". (Before 0.2 the word was "token": \`tokens\`,
"tokenEnv" and --tokens-file still work.)`;

const EXAMPLE_CONFIG = `{
  "activeCluster": "main",
  "clusters": [
    { "name": "main", "protocol": "anthropic",
      "endpoints": [ { "name": "official", "baseUrl": "https://api.anthropic.com", "keyEnv": "ANTHROPIC_API_KEY" } ] }
  ]
}`;

/** Exit codes: 0 ok, 1 failure found (diagnose), 2 bad usage or config, 3 port in use. */
class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

interface Flags {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

const VALUE_FLAGS = new Set(['config', 'port', 'host', 'log-level', 'cluster', 'endpoint', 'suffix', 'keys-file', 'tokens-file']);

/** The key file a command was pointed at (`--keys-file`, or `--tokens-file`, its name before 0.2). */
function keysFileFlag(flags: Flags): string | undefined {
  return flags.values.get('keys-file') ?? flags.values.get('tokens-file');
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      flags.positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2);
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new CliError(`--${name} needs a value`, 2);
      flags.values.set(name, value);
    } else {
      flags.switches.add(name);
    }
  }
  return flags;
}

function portFlag(flags: Flags): number | undefined {
  const raw = flags.values.get('port');
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a number from 0 to 65535, got ${JSON.stringify(raw)}`, 2);
  return port;
}

function configPath(flags: Flags): string {
  const explicit = flags.values.get('config');
  if (explicit) return explicit;
  const fallback = expandHome(DEFAULT_CONFIG_PATH);
  if (!fs.existsSync(fallback)) {
    throw new CliError(
      `no config given and ${fallback} does not exist.\nCreate it (keys may come from the environment), for example:\n${EXAMPLE_CONFIG}\nor try it first with: switchyard serve --demo`,
      2,
    );
  }
  return fallback;
}

function loadConfig(file: string): SwitchyardConfig {
  try {
    return loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`invalid config ${file}: ${err.message}`, 2);
    throw err;
  }
}

function logLevel(flags: Flags): LogLevel {
  const level = (flags.values.get('log-level') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`, 2);
  return level;
}

/** Sends one request through the proxy every second so the demo's stats move; each is a new conversation, so it is spread, not pinned. */
function demoTraffic(port: number): NodeJS.Timeout {
  let n = 0;
  return setInterval(() => {
    n++;
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/messages', method: 'POST', headers: { 'content-type': 'application/json', host: `127.0.0.1:${port}` } }, (res) => res.resume());
    req.on('error', () => undefined);
    req.end(JSON.stringify({ model: 'demo', max_tokens: 16, messages: [{ role: 'user', content: `hi (${n})` }] }));
  }, 1000);
}

async function serve(flags: Flags): Promise<void> {
  const logger = streamLogger(process.stderr, logLevel(flags));
  const demoMode = flags.switches.has('demo');
  const file = demoMode ? undefined : configPath(flags);
  const demo = demoMode ? await startDemo(portFlag(flags) ?? 7860) : undefined;
  const config = demo ? demo.config : loadConfig(file!);
  let keys: KeyFile;
  try {
    keys = new KeyFile(keysFileFlag(flags) ?? DEFAULT_KEY_FILE);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  // The demo's simulated traffic is nobody's spending: it keeps no usage file.
  const sy: Switchyard = new Switchyard({
    config,
    keys,
    logger,
    ...(demo ? { usageFile: false as const } : {}),
    routes: (req, res): boolean => handleDashboardRequest(req, res, { source: coreDashboardSource(sy), distDir: __dirname }),
  });
  let address: { url: string; port: number };
  try {
    address = await sy.start(portFlag(flags) ?? config.port, flags.values.get('host') ?? config.host);
  } catch (err) {
    await demo?.close();
    if (err instanceof PortInUseError) {
      const hint = err.holder.kind === 'switchyard' ? ` — it is already serving; point your tools at http://${err.host}:${err.port} or pick another --port` : ' — stop it or pick another --port';
      throw new CliError(`${err.message}${hint}`, 3);
    }
    throw err;
  }
  process.stdout.write(`switchyard ${VERSION} listening on ${address.url} (dashboard at ${address.url}/_switchyard/dashboard, stats at ${address.url}/_switchyard/stats)\n`);

  const watcher = file
    ? watchConfigFile(
        file,
        (next) => {
          sy.applyConfig(next);
        },
        (err) => logger.error(`[config] ${file}: ${err.message} — keeping the previous config`),
      )
    : undefined;
  const traffic = demo ? demoTraffic(address.port) : undefined;
  if (demo) logger.info(`[demo] endpoints: healthy, flaky (40% 503/529), down (refused). Watch failover: curl ${address.url}/_switchyard/stats`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`[server] ${signal}: stopping (in-flight requests get ${config.timeouts.shutdownGraceMs} ms)`);
    if (traffic) clearInterval(traffic);
    watcher?.close();
    await sy.stop();
    await demo?.close();
    // Let the logger's batched lines reach stderr before exiting.
    await new Promise((resolve) => setImmediate(resolve));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function keysCommand(flags: Flags): Promise<void> {
  const store = new KeyFile(keysFileFlag(flags) ?? DEFAULT_KEY_FILE);
  const action = flags.positional[1];
  if (action === 'list') {
    const text = fs.existsSync(store.file) ? (JSON.parse(fs.readFileSync(store.file, 'utf8')) as Record<string, string[]>) : {};
    for (const [slot, keys] of Object.entries(text)) process.stdout.write(`${slot}: ${keys.map((k) => `…${k.slice(-4)}`).join(', ') || '(none)'}\n`);
    return;
  }
  const cluster = flags.values.get('cluster');
  const endpoint = flags.values.get('endpoint');
  if (!cluster || !endpoint) throw new CliError('keys add/remove need --cluster and --endpoint', 2);
  if (action === 'add') {
    const keys = (await readStdin()).split(/\r?\n/).map((k) => k.trim()).filter(Boolean);
    const bad = keys.findIndex((k) => /\s/.test(k));
    if (bad !== -1) throw new CliError(`line ${bad + 1} holds whitespace inside a key; one key per line`, 2);
    const added = await store.add(cluster, endpoint, keys);
    process.stdout.write(`added ${added} key${added === 1 ? '' : 's'} to ${cluster}/${endpoint} (${keys.length - added} already there) in ${store.file}\n`);
    return;
  }
  if (action === 'remove') {
    const suffix = flags.values.get('suffix');
    if (!suffix) throw new CliError('keys remove needs --suffix', 2);
    const removed = await store.remove(cluster, endpoint, suffix);
    process.stdout.write(`removed ${removed} key${removed === 1 ? '' : 's'} ending in ${suffix}\n`);
    return;
  }
  throw new CliError(`unknown keys action ${JSON.stringify(action ?? '')}\n${USAGE}`, 2);
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const command = flags.positional[0];
  if (flags.switches.has('version')) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (!command || flags.switches.has('help') || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    if (!command) process.exitCode = 2;
    return;
  }
  if (command === PROXY_PROCESS_ARG) return runProxyProcess();
  if (command === 'serve') return serve(flags);
  // "tokens" is the command's name before 0.2.
  if (command === 'keys' || command === 'tokens') return keysCommand(flags);
  if (command === 'diagnose') {
    const file = configPath(flags);
    let code: number;
    try {
      // An invalid config is reported as a finding naming the field: that is when a report helps most.
      code = await runDiagnoseCommand({ configFile: file, json: flags.switches.has('json'), out: process.stdout, keysFile: keysFileFlag(flags) });
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
    // The report is flushed; a DNS lookup that outlived its deadline must not hold the exit.
    process.exit(code);
  }
  throw new CliError(`unknown command ${JSON.stringify(command)}\n${USAGE}`, 2);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`switchyard: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`switchyard: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
