// A VS Code window's proxy process: the core on its own event loop, configured and fed keys over the IPC pipe, pushing snapshots and request records back.

import { handleDashboardRequest } from '../dashboard/headless';
import { coreDashboardSource } from '../dashboard/coreSource';
import { runDiagnostics } from '../diagnostics/run';
import type { LogLevel, Logger, RequestRecord } from '../core/log';
import { LOG_LEVELS } from '../core/log';
import type { KeySource } from '../core/runtime';
import { PortInUseError, Switchyard } from '../core/switchyard';
import type { FromProxy, KeySet, StartOptions, StartResult, ToProxy } from './messages';

/** How long a proxy whose window went away lets its streams run on before exiting (another window takes the port then). */
const ORPHAN_GRACE_MS = 3000;
/** How often the proxy checks that the window that started it is still its parent. */
const PARENT_CHECK_MS = 5000;
/** Request records leave in batches: one IPC message per turn of the loop, not per request. */
const RECORD_BATCH_MS = 50;

/** Keys held in memory, as the window sent them; never written anywhere. */
class KeysFromWindow implements KeySource {
  private keys: KeySet = {};

  set(keys: KeySet): void {
    this.keys = keys;
  }

  keysFor(cluster: string, endpoint: string): readonly string[] {
    return this.keys[`${cluster}/${endpoint}`] ?? [];
  }
}

export function runProxyProcess(): void {
  if (!process.send) {
    process.stderr.write('switchyard: this is the proxy process of a VS Code window; start the proxy with `switchyard serve`\n');
    process.exit(2);
  }
  const send = (m: FromProxy) => {
    // The window may be gone (the pipe closed): nothing to tell then.
    if (process.connected) process.send!(m);
  };
  const keys = new KeysFromWindow();
  let minLevel = LOG_LEVELS.indexOf('info');
  const log = (level: LogLevel) => (message: string) => {
    if (LOG_LEVELS.indexOf(level) >= minLevel || level === 'error') send({ type: 'log', level, message });
  };
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  let sy: Switchyard | undefined;
  let stopping: Promise<void> | undefined;
  let batch: RequestRecord[] = [];
  let batchTimer: NodeJS.Timeout | undefined;

  const queueRecord = (r: RequestRecord) => {
    batch.push(r);
    batchTimer ??= setTimeout(() => {
      batchTimer = undefined;
      const records = batch;
      batch = [];
      send({ type: 'requests', records });
    }, RECORD_BATCH_MS);
  };

  const start = async (o: StartOptions): Promise<StartResult> => {
    keys.set(o.keys);
    minLevel = LOG_LEVELS.indexOf(o.logLevel);
    const instance: Switchyard = new Switchyard({
      config: o.config,
      keys: keys,
      logger,
      writeRequestLog: false,
      usageFile: o.usageFile ?? false,
      historyFile: o.historyFile ?? false,
      routes: (req, res): boolean => handleDashboardRequest(req, res, { source: coreDashboardSource(instance), distDir: __dirname }),
    });
    try {
      const address = await instance.start(o.config.port, o.config.host);
      sy = instance;
      instance.snapshots.subscribe((snapshot) => send({ type: 'snapshot', snapshot }));
      instance.onRequest(queueRecord);
      send({ type: 'snapshot', snapshot: instance.stats() });
      return { ok: true, host: address.host, port: address.port, url: address.url, instanceId: instance.instanceId, pid: process.pid };
    } catch (err) {
      await instance.stop(0).catch(() => undefined);
      if (err instanceof PortInUseError) return { ok: false, error: err.message, code: err.code, holder: err.holder };
      return { ok: false, error: (err as Error).message, code: (err as NodeJS.ErrnoException).code };
    }
  };

  const stop = (graceMs: number): Promise<void> => {
    stopping ??= (async () => {
      await sy?.stop(graceMs);
      if (batchTimer) clearTimeout(batchTimer);
      if (batch.length > 0) send({ type: 'requests', records: batch });
      send({ type: 'stopped' });
    })();
    // A later, shorter stop cuts the drain short (the core keeps the earliest deadline).
    void sy?.stop(graceMs);
    return stopping;
  };

  const reply = async (id: number, work: () => Promise<unknown> | unknown) => {
    try {
      send({ type: 'reply', id, result: await work() });
    } catch (err) {
      send({ type: 'reply', id, error: (err as Error).message });
    }
  };

  process.on('message', (m: ToProxy) => {
    switch (m.type) {
      case 'start':
        void reply(m.id, () => start(m.options));
        return;
      case 'config':
        keys.set(m.keys);
        sy?.applyConfig(m.config);
        return;
      case 'logLevel':
        minLevel = LOG_LEVELS.indexOf(m.level);
        return;
      case 'resetEndpoint':
        sy?.resetEndpoint(m.cluster, m.endpoint);
        return;
      case 'history':
        void reply(m.id, () => (m.since === undefined ? sy?.history.view(m.range, m.cluster) : sy?.history.latest(m.range, m.since, m.cluster)));
        return;
      case 'diagnose':
        void reply(m.id, () => {
          if (sy) return runDiagnostics({ ...m.input, config: sy.config, keys: keys, switchyard: sy });
          // Not serving (another window does, or nobody): the window's config and keys, probed from here.
          const given = new KeysFromWindow();
          given.set(m.keys);
          return runDiagnostics({ ...m.input, config: m.config, keys: given });
        });
        return;
      case 'stop':
        void stop(m.graceMs).then(() => process.exit(0));
        return;
    }
  });
  // The window's extension host went away (closed, reloaded, crashed): free the port for another window.
  const orphaned = () => {
    void stop(ORPHAN_GRACE_MS).then(() => process.exit(0));
    setTimeout(() => process.exit(0), ORPHAN_GRACE_MS + 2000).unref();
  };
  process.once('disconnect', orphaned);
  // A second check in case the pipe's end is never noticed: re-parented means the host is gone.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    orphaned();
  }, PARENT_CHECK_MS);
  watch.unref();
}
