// Where the Codex CLI is pointed (its config.toml), and the one-line edit that points it at Switchyard and can be taken back.

import * as os from 'node:os';
import * as path from 'node:path';

/** Codex reads `$CODEX_HOME/config.toml`, `~/.codex` by default; it ignores the OPENAI_BASE_URL variable. */
export function codexConfigFile(env: NodeJS.ProcessEnv = process.env, homeDir: string = os.homedir()): string {
  return path.join(env.CODEX_HOME || path.join(homeDir, '.codex'), 'config.toml');
}

/** What a config.toml says about where Codex sends its requests. */
export interface CodexPointing {
  /** Top-level `openai_base_url` (the built-in OpenAI provider's base URL). */
  openaiBaseUrl?: string;
  /** Top-level `model_provider`; Codex's built-in `openai` when absent. */
  modelProvider?: string;
  /** `base_url` of the selected custom provider (`[model_providers.NAME]`). */
  providerBaseUrl?: string;
  /** The base URL Codex will use, as far as the file says: the custom provider's, else `openai_base_url`. */
  effectiveBaseUrl?: string;
}

const TABLE = /^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$/;
const KEY_VALUE = /^\s*([A-Za-z0-9_.-]+|"[^"]+")\s*=\s*(.*?)\s*$/;

/** A TOML string value (basic or literal, one line), or undefined for anything else. */
function tomlString(raw: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(raw) ?? /^'([^']*)'\s*(#.*)?$/.exec(raw);
  if (!m) return undefined;
  if (raw.startsWith("'")) return m[1];
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return m[1];
  }
}

function unquoteKey(key: string): string {
  return key.startsWith('"') ? key.slice(1, -1) : key;
}

/** Reads the few keys that decide where Codex goes; the rest of the file is left alone (never fully parsed). */
export function readCodexPointing(text: string): CodexPointing {
  const out: CodexPointing = {};
  const providers = new Map<string, string>();
  let table = '';
  for (const line of text.split(/\r?\n/)) {
    const t = TABLE.exec(line);
    if (t) {
      table = t[1].replace(/\s*\.\s*/g, '.');
      continue;
    }
    const kv = KEY_VALUE.exec(line);
    if (!kv || line.trimStart().startsWith('#')) continue;
    const key = unquoteKey(kv[1]);
    const value = tomlString(kv[2]);
    if (value === undefined) continue;
    if (table === '' && key === 'openai_base_url') out.openaiBaseUrl = value;
    else if (table === '' && key === 'model_provider') out.modelProvider = value;
    else if (table.startsWith('model_providers.') && key === 'base_url') providers.set(unquoteKey(table.slice('model_providers.'.length)), value);
  }
  if (out.modelProvider && out.modelProvider !== 'openai') out.providerBaseUrl = providers.get(out.modelProvider);
  out.effectiveBaseUrl = out.modelProvider && out.modelProvider !== 'openai' ? out.providerBaseUrl : out.openaiBaseUrl;
  return out;
}

/** The comment that marks Switchyard's line, so it can be found and taken back; it keeps a previous value to restore. */
const MARK = '# Added by Switchyard: Codex goes through its local failover proxy. Undo: Switchyard: Undo Codex Configuration (or delete these two lines).';
const PREVIOUS = '# Switchyard replaced: ';

export type CodexEdit =
  | { kind: 'edit'; text: string; previous?: string }
  | { kind: 'unchanged'; reason: string }
  /** A custom provider is selected: openai_base_url would not take effect, so nothing is written. */
  | { kind: 'custom-provider'; provider: string; baseUrl?: string };

/**
 * The file with top-level `openai_base_url` set to `baseUrl` (before the first table, as TOML requires),
 * marked so it can be undone; an existing line is replaced and remembered. Nothing else changes.
 */
export function planCodexEdit(text: string, baseUrl: string): CodexEdit {
  const pointing = readCodexPointing(text);
  if (pointing.modelProvider && pointing.modelProvider !== 'openai') return { kind: 'custom-provider', provider: pointing.modelProvider, baseUrl: pointing.providerBaseUrl };
  if (pointing.openaiBaseUrl === baseUrl) return { kind: 'unchanged', reason: `openai_base_url already points at ${baseUrl}` };
  const lines = text === '' ? [] : text.split(/\r?\n/);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const firstTable = lines.findIndex((l) => TABLE.test(l));
  const topEnd = firstTable === -1 ? lines.length : firstTable;
  const existing = lines.findIndex((l, i) => i < topEnd && !l.trimStart().startsWith('#') && KEY_VALUE.exec(l)?.[1] === 'openai_base_url');
  const ours = [MARK, `openai_base_url = ${JSON.stringify(baseUrl)}`];
  let previous: string | undefined;
  if (existing !== -1) {
    previous = lines[existing].trim();
    // A line Switchyard added before keeps its original "replaced" note.
    const earlier = existing >= 2 && lines[existing - 2].startsWith(PREVIOUS) ? lines[existing - 2] : undefined;
    const start = lines[existing - 1] === MARK ? (earlier ? existing - 2 : existing - 1) : existing;
    const note = earlier ?? (lines[existing - 1] === MARK ? undefined : `${PREVIOUS}${previous}`);
    lines.splice(start, existing - start + 1, ...(note ? [note] : []), ...ours);
  } else {
    lines.splice(0, 0, ...ours, ...(lines.length > 0 && lines[0].trim() !== '' ? [''] : []));
  }
  let out = lines.join(eol);
  if (!out.endsWith(eol)) out += eol;
  return { kind: 'edit', text: out, previous };
}

/** The file without Switchyard's line (the replaced one restored), or undefined when Switchyard never edited it. */
export function undoCodexEdit(text: string): string | undefined {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const mark = lines.indexOf(MARK);
  if (mark === -1) return undefined;
  const hasValue = KEY_VALUE.exec(lines[mark + 1] ?? '')?.[1] === 'openai_base_url';
  const note = mark > 0 && lines[mark - 1].startsWith(PREVIOUS) ? lines[mark - 1] : undefined;
  const start = note ? mark - 1 : mark;
  const restored = note ? [note.slice(PREVIOUS.length)] : [];
  let end = mark + (hasValue ? 2 : 1);
  // The blank line Switchyard put after its lines goes too.
  if (!note && start === 0 && lines[end] === '') end++;
  lines.splice(start, end - start, ...restored);
  return lines.join(eol);
}
