// Reads the headless config file and watches it, applying valid edits and keeping the old config on invalid ones.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, parseConfigText, SwitchyardConfig } from './config';
import { expandHome } from './requestLogFile';

export const DEFAULT_CONFIG_PATH = '~/.switchyard/config.json';

/** Loads and validates a config file; missing files and bad JSON become ConfigErrors naming the file. */
export function loadConfigFile(file: string): SwitchyardConfig {
  const full = expandHome(file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(full, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`);
  }
  return parseConfigText(text);
}

export interface ConfigWatcher {
  close(): void;
}

/**
 * Watches the file's directory (editors often replace files rather than write them in place) and
 * calls `onValid` or `onInvalid` after each settled change.
 */
export function watchConfigFile(file: string, onValid: (config: SwitchyardConfig) => void, onInvalid: (err: ConfigError) => void, debounceMs = 100): ConfigWatcher {
  const full = path.resolve(expandHome(file));
  const dir = path.dirname(full);
  const base = path.basename(full);
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;
  try {
    lastText = fs.readFileSync(full, 'utf8');
  } catch {
    lastText = undefined;
  }
  const reload = () => {
    timer = undefined;
    let text: string;
    try {
      text = fs.readFileSync(full, 'utf8');
    } catch {
      return; // Mid-replace: the next event brings the new file.
    }
    if (text === lastText) return;
    lastText = text;
    try {
      onValid(parseConfigText(text));
    } catch (err) {
      if (err instanceof ConfigError) onInvalid(err);
      else throw err;
    }
  };
  const watcher = fs.watch(dir, (_event, name) => {
    if (name !== null && name !== base) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
  });
  watcher.on('error', () => undefined);
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
