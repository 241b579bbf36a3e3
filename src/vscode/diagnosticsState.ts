// The last diagnostics run of this window, kept for the tree's marks and Copy Redacted Report until the config changes.

import * as vscode from 'vscode';
import type { SwitchyardConfig } from '../core/config';
import { endpointVerdict } from '../diagnostics/types';
import type { DiagnosticCheck, EndpointVerdict } from '../diagnostics/types';
import type { DiagnosticsResult } from './diagnostics';
import { Disposable } from './dispose';
import type { ProxyService } from './proxyService';

/** A finished run: its result and when it finished. */
export interface LastDiagnostics {
  readonly result: DiagnosticsResult;
  readonly at: number;
}

/** What the last run found for one endpoint that did not pass. */
export interface EndpointDiagnosis {
  readonly verdict: EndpointVerdict;
  /** The checks behind the verdict that did not pass, worst first. */
  readonly problems: DiagnosticCheck[];
  readonly at: number;
}

/** The endpoint's diagnosis when the last run failed or warned about it; undefined when it passed or was not checked. */
export function endpointDiagnosis(last: LastDiagnostics | undefined, cluster: string, endpoint: string): EndpointDiagnosis | undefined {
  const report = last?.result.report;
  const verdict = report && endpointVerdict(report, cluster, endpoint);
  if (!report || !verdict || verdict.status === 'ok') return undefined;
  // The same checks the core's verdict counts: the endpoint's own, plus config problems of its whole cluster.
  const problems = report.checks
    .filter((c) => c.status !== 'ok' && c.cluster === cluster && (c.endpoint === endpoint || (c.endpoint === undefined && c.area === 'config')))
    .sort((a, b) => (a.status === b.status ? 0 : a.status === 'fail' ? -1 : 1));
  return { verdict, problems, at: last.at };
}

/** Holds the last run; it goes stale (and fires) as soon as the settings give the proxy another config. */
export class DiagnosticsState extends Disposable {
  private last: (LastDiagnostics & { config: SwitchyardConfig | undefined }) | undefined;
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** Fires when a run finished or the last one was dropped. */
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly service: Pick<ProxyService, 'currentConfig' | 'onDidChange'>) {
    super();
    this._register(
      service.onDidChange(() => {
        if (this.last && this.stale()) {
          this.last = undefined;
          this._onDidChange.fire();
        }
      }),
    );
  }

  /** Keeps a finished run made against `config` (the proxy's config when it started). */
  set(result: DiagnosticsResult, config: SwitchyardConfig | undefined): void {
    this.last = { result, at: Date.now(), config };
    this._onDidChange.fire();
  }

  /** The last run, unless the config changed since it started. */
  get current(): LastDiagnostics | undefined {
    return this.last && !this.stale() ? { result: this.last.result, at: this.last.at } : undefined;
  }

  /** The service replaces its config object only when the settings really changed. */
  private stale(): boolean {
    return this.last !== undefined && this.last.config !== this.service.currentConfig;
  }
}
