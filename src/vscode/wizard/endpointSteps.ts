// The endpoint steps Add Cluster and Add Endpoint share: a base URL completed and probed once without a key, then a name.

import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import type { Protocol } from '../../core/config';
import { Commands, Settings } from '../constants';
import type { ProxyService } from '../proxyService';
import { checkReachable, describeReachability, ReachWords } from '../reachability';
import { readSetting } from '../settings';
import { baseUrlProblem } from '../settingsModel';
import type { MultiStepInput, StepTracker } from './multiStep';
import { completeScheme, endpointNameFor, nameProblem, uniqueName } from './names';

/** How long the URL step waits for an answer. */
export const PROBE_TIMEOUT_MS = 3000;
/** What the probe asks for: the models list, which needs no generation and here gets no key. */
const PROBE_PATH = '/v1/models';

/** What the endpoint steps have gathered; kept across Back. */
export interface EndpointAnswers {
  baseUrl?: string;
  name?: string;
  /** The name the last guess produced: a name still equal to it follows the URL when that changes. */
  guessedName?: string;
  /** Probe results by completed URL, so each URL is probed once per wizard. */
  probes: Map<string, ReachWords>;
}

/** The base URL as the settings get it: scheme completed, syntax checked. */
export function checkedBaseUrl(value: string): string {
  const url = completeScheme(value);
  const problem = baseUrlProblem(url);
  if (problem) throw new Error(problem);
  return url;
}

function probeMessage(url: string, words: ReachWords): vscode.InputBoxValidationMessage {
  if (words.verdict === 'ok') return { message: `${url}: ${words.text}.`, severity: vscode.InputBoxValidationSeverity.Info };
  return {
    message: `${url}: ${words.text}. Press Enter to add it anyway (an endpoint that is down today may work tomorrow), or change the URL.`,
    severity: vscode.InputBoxValidationSeverity.Warning,
  };
}

async function extraCa(): Promise<string | undefined> {
  const file = readSetting<string>(Settings.caFile, '');
  return file ? fs.readFile(file, 'utf8').catch(() => undefined) : undefined;
}

function urlCheck(answers: EndpointAnswers) {
  return (value: string): string | vscode.InputBoxValidationMessage | undefined => {
    const url = completeScheme(value);
    if (!url) return 'Enter the base URL, e.g. https://relay.example.com or 127.0.0.1:8080.';
    const problem = baseUrlProblem(url);
    if (problem) return problem;
    const seen = answers.probes.get(url);
    if (seen) return probeMessage(url, seen);
    if (url !== value.trim()) return { message: `Enter checks ${url}`, severity: vscode.InputBoxValidationSeverity.Info };
    return undefined;
  };
}

/** The URL step: Enter completes the scheme and probes the URL once; a bad answer stays on the step until Enter confirms it. */
export function baseUrlStep(flow: MultiStepInput, answers: EndpointAnswers, o: { protocol: Protocol; prompt: string; initial: string; placeholder?: string }): Promise<void> {
  return flow
    .input({
      prompt: o.prompt,
      value: answers.baseUrl ?? o.initial,
      placeholder: o.placeholder ?? 'https://relay.example.com or 127.0.0.1:8080',
      validate: urlCheck(answers),
      accept: async (value, control) => {
        const url = completeScheme(value);
        if (url !== value) control.replaceValue(url);
        if (answers.probes.has(url)) return url;
        control.box.validationMessage = { message: `Checking ${url} — GET ${PROBE_PATH} without a key, up to ${PROBE_TIMEOUT_MS / 1000} s…`, severity: vscode.InputBoxValidationSeverity.Info };
        const headers: Record<string, string> = { accept: 'application/json', ...(o.protocol === 'anthropic' ? { 'anthropic-version': '2023-06-01' } : {}) };
        const r = await checkReachable(url, { path: PROBE_PATH, timeoutMs: PROBE_TIMEOUT_MS, headers, ca: await extraCa(), signal: control.signal });
        if (control.signal.aborted) return undefined;
        const words = describeReachability(r, PROBE_TIMEOUT_MS);
        answers.probes.set(url, words);
        if (words.verdict === 'ok') return url;
        control.box.validationMessage = probeMessage(url, words);
        return undefined;
      },
    })
    .then((url) => {
      answers.baseUrl = url;
    });
}

/** The name step: the guess from the host, made unique in the cluster (-2, -3, …), prefilled. */
export function endpointNameStep(flow: MultiStepInput, answers: EndpointAnswers, taken: readonly string[]): Promise<void> {
  const url = answers.baseUrl ?? '';
  const guess = uniqueName(endpointNameFor(url), taken);
  if (answers.name === undefined || answers.name === answers.guessedName) answers.name = guess;
  answers.guessedName = guess;
  const probe = answers.probes.get(url);
  return flow
    .input({
      prompt: `${probe ? `${url}: ${probe.text}. ` : ''}A short name for this endpoint, as the tree and the logs show it`,
      value: answers.name,
      validate: (v) => nameProblem(v, 'endpoint', taken),
    })
    .then((name) => {
      answers.name = name.trim();
    });
}

/** What the wizards need from the extension. */
export interface WizardDeps {
  service: ProxyService;
  /** Told which step is on screen (the extension's API exposes it). */
  steps?: StepTracker;
}

/** A cluster as `switchyard.clusters` has it now: the wizards check names against this, and write to it. */
export interface ClusterInSettings {
  name: string;
  protocol: Protocol;
  endpoints: string[];
}

export function clustersInSettings(): ClusterInSettings[] {
  const raw = readSetting<unknown>(Settings.clusters, []);
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && typeof (c as { name?: unknown }).name === 'string')
    .map((c) => ({
      name: c.name as string,
      protocol: c.protocol === 'openai' ? 'openai' : 'anthropic',
      endpoints: Array.isArray(c.endpoints) ? c.endpoints.map((e: { name?: unknown }) => e?.name).filter((n): n is string => typeof n === 'string') : [],
    }));
}

/** " When checked, it answered 503 …" for an endpoint whose probe found it failing or unreachable; empty otherwise. */
export function checkedNote(answers: EndpointAnswers): string {
  const probe = answers.probes.get(answers.baseUrl ?? '');
  return probe && probe.verdict !== 'ok' ? ` When checked, ${probe.text.replace(/^answered/, 'it answered')}.` : '';
}

/** After an endpoint was added interactively: says so and offers Add Keys (not awaited by the command). */
export async function offerKeys(message: string, cluster: string, endpoint: string): Promise<void> {
  const addKeys = 'Add Keys';
  if ((await vscode.window.showInformationMessage(`${message} Without keys, the clients' own keys are passed through.`, addKeys)) === addKeys) {
    await vscode.commands.executeCommand(Commands.addKeys, { cluster, endpoint });
  }
}
