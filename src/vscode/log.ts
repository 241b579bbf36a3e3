// The Switchyard LogOutputChannel as the core's Logger, and the recent request records the Tail Logs view shows.

import * as vscode from 'vscode';
import { LOG_LEVELS, Logger, LogLevel, RequestRecord } from '../core/log';
import { Disposable } from './dispose';

/** The core's Logger over one LogOutputChannel, dropping messages below `switchyard.logLevel`. */
export class ChannelLogger implements Logger {
  private min = LOG_LEVELS.indexOf('info');

  constructor(readonly channel: vscode.LogOutputChannel) {}

  setLevel(level: unknown): void {
    const i = LOG_LEVELS.indexOf(level as LogLevel);
    this.min = i === -1 ? LOG_LEVELS.indexOf('info') : i;
  }

  debug(message: string): void {
    if (this.min <= 0) this.channel.debug(message);
  }
  info(message: string): void {
    if (this.min <= 1) this.channel.info(message);
  }
  warn(message: string): void {
    if (this.min <= 2) this.channel.warn(message);
  }
  error(message: string): void {
    this.channel.error(message);
  }
}

/** The last few hundred request records (already key-free), with an event for each batch of new ones. */
export class RequestLogBuffer extends Disposable {
  private readonly records: RequestRecord[] = [];
  private pending: RequestRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly _onDidAppend = this._register(new vscode.EventEmitter<readonly RequestRecord[]>());
  /** New records, batched (at most a few events a second). */
  readonly onDidAppend = this._onDidAppend.event;
  private readonly _onDidReplace = this._register(new vscode.EventEmitter<void>());
  /** Everything held was replaced. */
  readonly onDidReplace = this._onDidReplace.event;

  constructor(private readonly capacity = 500, private readonly batchMs = 200) {
    super();
    this._register({ dispose: () => this.timer && clearTimeout(this.timer) });
  }

  push(...records: RequestRecord[]): void {
    if (records.length === 0) return;
    this.records.push(...records);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
    this.pending.push(...records);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const batch = this.pending;
      this.pending = [];
      this._onDidAppend.fire(batch);
    }, this.batchMs);
  }

  /** Replaces what is held (another window's backlog, sent when this window starts following it). */
  replace(records: readonly RequestRecord[]): void {
    this.records.splice(0, this.records.length, ...records.slice(-this.capacity));
    this._onDidReplace.fire();
  }

  all(): readonly RequestRecord[] {
    return this.records;
  }
}
