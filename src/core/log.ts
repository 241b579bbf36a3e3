// Logging interfaces, the request-log record, and redaction so keys never reach any writer.

import type { Cause } from './outcomes';
import type { ApiName, Family, Usage } from './protocols/types';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The core logs through this; the CLI writes to stderr, VS Code to a LogOutputChannel. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** One attempt of a request, as written to logs, stats and error bodies. */
export interface AttemptRecord {
  endpoint: string;
  /** `…a1b2`, or null when the client's own auth was passed through. */
  key: string | null;
  cause: Cause;
  status: number | null;
  /** Error class or upstream message, never containing a key. */
  detail?: string;
  ms: number;
  /** The first-byte deadline the attempt ran under (learned, or the configured limit). */
  firstByteDeadlineMs?: number;
}

/** One line of the request log. */
export interface RequestRecord {
  id: string;
  time: string;
  method: string;
  path: string;
  /** The cluster that served it; null when no cluster serves its family. */
  cluster: string | null;
  family: Family;
  api: ApiName;
  /** The API's operation (`messages`, `count_tokens`, `responses`, `passthrough`, …). */
  operation: string;
  model?: string;
  stream: boolean;
  endpoint: string | null;
  key: string | null;
  status: number;
  outcome: Cause;
  attempts: AttemptRecord[];
  ttfbMs: number | null;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  /** Tokens the upstream reported (null fields: not reported); absent when the operation reports none. */
  usage?: Usage;
  /** What the usage cost in USD, when a price applies. */
  costUsd?: number;
  /** The turn went to its conversation's target (`hit`), had to move (`moved`), or began a conversation (`new`). */
  affinity?: 'hit' | 'new' | 'moved';
  /** The signal the conversation was recognised by (`x-claude-code-session-id`, `codex thread-id`, `opening hash`, …). */
  conversation?: string;
  /** Set when the client's credentials are a subscription login (ChatGPT, Claude), not an API key. */
  login?: string;
}

/** Replaces every known secret (and anything that looks like an auth header value) with its suffix. */
export class Redactor {
  private secrets: string[] = [];

  /** Adds secrets to redact; earlier ones are kept, since requests on an older config may still use them. */
  addSecrets(secrets: readonly string[]): void {
    // Longest first so a key that contains another is replaced whole.
    this.secrets = [...new Set([...this.secrets, ...secrets])].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(`…${s.slice(-4)}`);
    return out.replace(/((?:authorization|x-api-key|api-key)["']?\s*[:=]\s*["']?)(?:Bearer\s+)?([A-Za-z0-9._~+/=-]{12,})/gi, (_m, head: string, value: string) => `${head}…${value.slice(-4)}`);
  }
}

/** Wraps a logger so every message passes through the redactor first. */
export function redactingLogger(inner: Logger, redactor: Redactor): Logger {
  return {
    debug: (m) => inner.debug(redactor.redact(m)),
    info: (m) => inner.info(redactor.redact(m)),
    warn: (m) => inner.warn(redactor.redact(m)),
    error: (m) => inner.error(redactor.redact(m)),
  };
}

const LEVEL_TAGS: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

let lastIsoMs = -1;
let lastIso = '';
/** `new Date(ms).toISOString()`, built once per millisecond: a busy proxy stamps many lines and records in the same one. */
export function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/**
 * A logger that writes human-readable lines to a stream (stderr for the CLI). Lines written in one
 * event-loop turn go out in one write: a write per request line cost a syscall each under load.
 */
export function streamLogger(stream: NodeJS.WritableStream, minLevel: LogLevel = 'info'): Logger {
  const min = LOG_LEVELS.indexOf(minLevel);
  let pending: string[] = [];
  const flush = () => {
    const text = pending.join('');
    pending = [];
    stream.write(text);
  };
  const write = (level: LogLevel, m: string) => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    if (pending.length === 0) setImmediate(flush);
    pending.push(`${isoTime(Date.now())} ${LEVEL_TAGS[level]} ${m}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A one-line human summary of a request record. */
export function formatRequestLine(r: RequestRecord): string {
  const trace = r.attempts.map((a) => `${a.endpoint}${a.key ? ` ${a.key}` : ''}${a.status !== null ? ` ${a.status}` : ''}${a.cause !== 'OK' ? ` ${a.cause}` : ''} ${a.ms}ms`).join(' → ');
  const u = r.usage;
  const tokens = u ? ` · tokens in ${u.inputTokens ?? '?'} + cache ${u.cacheReadTokens ?? '?'} read / ${u.cacheWriteTokens ?? '?'} written, out ${u.outputTokens ?? '?'}${r.costUsd !== undefined ? `, $${r.costUsd.toFixed(4)}` : ''}` : '';
  const affinity = r.affinity ? ` · conversation ${r.affinity}` : '';
  return `[proxy] ${r.id} ${r.method} ${r.path} → ${r.status} ${r.outcome} in ${r.durationMs}ms (${r.attempts.length} attempt${r.attempts.length === 1 ? '' : 's'}: ${trace || 'none'})${affinity}${tokens}`;
}
