// Add Cluster: a name, the protocol, the first endpoint's URL (probed) and name; settings are written once, at the end.

import * as vscode from 'vscode';
import { PROTOCOLS, Protocol, Strategy } from '../../core/config';
import { Commands, Settings } from '../constants';
import { readSetting, writeSetting } from '../settings';
import { officialBaseUrl, withCluster, withEndpoint } from '../settingsModel';
import { baseUrlStep, checkedBaseUrl, checkedNote, clustersInSettings, EndpointAnswers, endpointNameStep, offerKeys, WizardDeps } from './endpointSteps';
import { activeClusterName } from '../../core/config';
import { MultiStepInput } from './multiStep';
import { endpointNameFor, nameProblem } from './names';

export interface AddClusterArgs {
  name?: string;
  protocol?: Protocol;
  strategy?: Strategy;
  /** The first endpoint; without it (only with `name`) the cluster starts empty. */
  baseUrl?: string;
  endpointName?: string;
  weight?: number;
}

const PROTOCOL_ITEMS = PROTOCOLS.map((p) => ({
  label: p,
  description: p === 'anthropic' ? 'Claude Code, Anthropic SDKs (/v1/messages)' : 'Codex, OpenAI SDKs (/v1/chat/completions, /v1/responses)',
  protocol: p,
}));

/** Says there is no cluster yet and offers Add Cluster. */
export async function offerFirstCluster(): Promise<void> {
  const add = 'Add Cluster';
  if ((await vscode.window.showInformationMessage('Switchyard has no cluster yet.', add)) === add) await vscode.commands.executeCommand(Commands.addCluster);
}

/** Adds a cluster from the arguments when `name` is given, else through the four-step wizard; returns its name. */
export async function addCluster(d: WizardDeps, a: AddClusterArgs = {}): Promise<string> {
  if (a.name !== undefined) return save(d, a);
  const taken = clustersInSettings().map((c) => c.name);
  let name = taken.length === 0 ? 'main' : '';
  let protocol: Protocol | undefined;
  const endpoint: EndpointAnswers = { probes: new Map() };
  const flow = new MultiStepInput('Switchyard: Add Cluster', d.steps);
  await flow.run([
    async () => {
      name = (await flow.input({ prompt: 'A name for the cluster: the endpoints that serve the same API', value: name, validate: (v) => nameProblem(v, 'cluster', taken) })).trim();
    },
    async () => {
      protocol = (await flow.pick({ placeholder: 'Which API do its endpoints serve?', items: PROTOCOL_ITEMS, active: PROTOCOL_ITEMS.find((i) => i.protocol === protocol) })).protocol;
    },
    () => {
      const p = protocol ?? 'anthropic';
      // The other protocol's official URL, left from before Back, follows the protocol.
      if (endpoint.baseUrl && PROTOCOLS.some((q) => q !== p && officialBaseUrl(q) === endpoint.baseUrl)) endpoint.baseUrl = undefined;
      return baseUrlStep(flow, endpoint, {
        protocol: p,
        prompt: 'Base URL of the first endpoint: the official API or a relay. Enter checks that it answers, without sending a key',
        initial: officialBaseUrl(p),
      });
    },
    () => endpointNameStep(flow, endpoint, []),
  ]);
  await save(d, { name, protocol, baseUrl: endpoint.baseUrl, endpointName: endpoint.name });
  void offerKeys(`Added cluster "${name}" with endpoint "${endpoint.name}" (${endpoint.baseUrl}).${checkedNote(endpoint)}${activeNote(d, name, protocol ?? 'anthropic')}`, name, endpoint.name ?? '');
  return name;
}

/** Checks the answers and writes the cluster with its first endpoint in one settings write. */
async function save(d: WizardDeps, a: AddClusterArgs): Promise<string> {
  const name = (a.name ?? '').trim();
  const problem = nameProblem(name, 'cluster', clustersInSettings().map((c) => c.name));
  if (problem) throw new Error(problem);
  const protocol = a.protocol ?? 'anthropic';
  if (!PROTOCOLS.includes(protocol)) throw new Error(`protocol must be one of ${PROTOCOLS.join(', ')}`);
  let clusters = withCluster(readSetting<unknown>(Settings.clusters, []), { name, protocol, strategy: a.strategy });
  if (a.baseUrl !== undefined) {
    const baseUrl = checkedBaseUrl(a.baseUrl);
    const endpointName = (a.endpointName ?? endpointNameFor(baseUrl)).trim();
    const endpointProblem = nameProblem(endpointName, 'endpoint', []);
    if (endpointProblem) throw new Error(endpointProblem);
    clusters = withEndpoint(clusters, name, { name: endpointName, baseUrl, weight: a.weight });
  }
  await writeSetting(Settings.clusters, clusters);
  await d.service.reload();
  return name;
}

/** " It is not active: …" when another cluster of its protocol already gets the traffic (a new one does not take it over). */
function activeNote(d: WizardDeps, name: string, protocol: Protocol): string {
  const config = d.service.currentConfig;
  const active = config ? activeClusterName(config, protocol) : undefined;
  return active && active !== name ? ` It is not active: "${active}" serves the ${protocol} clients until you Switch Cluster.` : '';
}
