// Add Endpoint: into which cluster (when there are several), the base URL (probed) and a name; settings are written once, at the end.

import * as vscode from 'vscode';
import { Settings } from '../constants';
import { clusterHealth, plural } from '../format';
import type { ProxyService } from '../proxyService';
import { readSetting, writeSetting } from '../settings';
import { officialBaseUrl, withEndpoint } from '../settingsModel';
import { offerFirstCluster } from './addCluster';
import { baseUrlStep, checkedBaseUrl, checkedNote, ClusterInSettings, clustersInSettings, EndpointAnswers, endpointNameStep, offerKeys, WizardDeps } from './endpointSteps';
import { Cancelled, MultiStepInput } from './multiStep';
import { endpointNameFor, nameProblem, uniqueName } from './names';

export interface AddEndpointArgs {
  cluster?: string;
  /** Given with `baseUrl`, nothing is asked. */
  baseUrl?: string;
  name?: string;
  weight?: number;
}

export interface ClusterItem extends vscode.QuickPickItem {
  cluster: string;
}

/** The clusters as pick items with their health: `main` · `active for anthropic · 2/3 healthy` · `anthropic · official, relay`. */
export function clusterItems(service: ProxyService, clusters: readonly ClusterInSettings[]): ClusterItem[] {
  const view = service.view();
  return clusters.map((c) => {
    const s = view.stats?.clusters.find((x) => x.name === c.name);
    const h = s ? clusterHealth(s) : undefined;
    const health = h && view.live ? `${h.healthy}/${h.total} healthy` : plural(c.endpoints.length, 'endpoint');
    return {
      label: c.name,
      description: `${s?.active ? `$(check) active for ${c.protocol} · ` : ''}${health}`,
      detail: `${c.protocol} · ${c.endpoints.join(', ') || 'no endpoints'}`,
      cluster: c.name,
    };
  });
}

/** Adds an endpoint from the arguments when `baseUrl` is given, else through the wizard; returns where it went. */
export async function addEndpoint(d: WizardDeps, a: AddEndpointArgs = {}): Promise<{ cluster: string; endpoint: string }> {
  const clusters = clustersInSettings();
  if (clusters.length === 0) {
    void offerFirstCluster();
    throw new Cancelled();
  }
  if (a.cluster !== undefined && !clusters.some((c) => c.name === a.cluster)) throw new Error(`there is no cluster named "${a.cluster}"`);
  const interactive = a.baseUrl === undefined;
  let cluster = a.cluster ?? (clusters.length === 1 ? clusters[0].name : undefined);
  const endpoint: EndpointAnswers = { probes: new Map(), baseUrl: a.baseUrl, name: a.name };
  const target = () => clusters.find((c) => c.name === cluster) ?? clusters[0];
  const flow = new MultiStepInput(`Switchyard: Add Endpoint${cluster ? ` to "${cluster}"` : ''}`, d.steps);
  const steps: Array<() => Promise<void>> = [];
  if (cluster === undefined) {
    steps.push(async () => {
      const items = clusterItems(d.service, clusters);
      cluster = (await flow.pick({ placeholder: 'To which cluster?', items, active: items.find((i) => i.cluster === cluster) })).cluster;
    });
  }
  if (interactive) {
    steps.push(() => baseUrlStep(flow, endpoint, {
      protocol: target().protocol,
      prompt: `Base URL of the endpoint (the official API or a relay) for "${target().name}". Enter checks that it answers, without sending a key`,
      initial: target().endpoints.length === 0 ? officialBaseUrl(target().protocol) : '',
    }));
    steps.push(() => endpointNameStep(flow, endpoint, target().endpoints));
  }
  await flow.run(steps);
  const c = target();
  const baseUrl = checkedBaseUrl(endpoint.baseUrl ?? '');
  const name = (endpoint.name ?? uniqueName(endpointNameFor(baseUrl), c.endpoints)).trim();
  const problem = nameProblem(name, 'endpoint', clustersInSettings().find((x) => x.name === c.name)?.endpoints ?? []);
  if (problem) throw new Error(problem);
  await writeSetting(Settings.clusters, withEndpoint(readSetting<unknown>(Settings.clusters, []), c.name, { name, baseUrl, weight: a.weight }));
  await d.service.reload();
  if (interactive) void offerKeys(`Added endpoint "${name}" (${baseUrl}) to "${c.name}".${checkedNote(endpoint)}`, c.name, name);
  return { cluster: c.name, endpoint: name };
}
