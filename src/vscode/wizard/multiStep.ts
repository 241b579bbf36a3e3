// A multi-step quick input: numbered steps with a Back button, one QuickInput on screen at a time, Escape cancels the whole flow.

import * as vscode from 'vscode';

/** Thrown when the user closes a step (Escape); commands end quietly on it. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** A picker's answer, or Cancelled when it was closed. */
export function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Cancelled();
  return value;
}

/** The user pressed Back on a step. */
class Back extends Error {
  constructor() {
    super('back');
  }
}

/** The step on screen as the user sees it; the extension's API hands it to tests, which read it and type into it. */
export interface ShownStep {
  readonly kind: 'input' | 'pick';
  readonly title: string;
  readonly step: number;
  readonly totalSteps: number;
  readonly value: string;
  /** The input box's prompt, or the pick list's placeholder. */
  readonly prompt: string;
  readonly message: string | undefined;
  readonly severity: 'info' | 'warning' | 'error' | undefined;
  readonly busy: boolean;
  readonly hasBack: boolean;
  /** A pick list's item labels, and those under the cursor. */
  readonly items: readonly string[];
  readonly active: readonly string[];
  /** What typing does: replaces the text in the box (a pick list filters by it). */
  type(text: string): void;
}

/** Which wizard step is on screen, if any. */
export class StepTracker implements vscode.Disposable {
  private shown: { input: vscode.QuickInput; view: ShownStep } | undefined;
  private readonly changed = new vscode.EventEmitter<ShownStep | undefined>();
  readonly onDidChange = this.changed.event;

  current(): ShownStep | undefined {
    return this.shown?.view;
  }

  /** @internal */
  show(input: vscode.QuickInput, view: ShownStep): void {
    this.shown = { input, view };
    this.changed.fire(view);
  }

  /** @internal */
  hide(input: vscode.QuickInput): void {
    if (this.shown?.input !== input) return;
    this.shown = undefined;
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Lets an input step's `accept` show progress and messages while it works. */
export interface StepControl {
  readonly box: vscode.InputBox;
  /** Aborted when the text changes or the flow ends. */
  readonly signal: AbortSignal;
  /** Replaces the text (e.g. with a completed URL) without counting as an edit. */
  replaceValue(value: string): void;
}

export interface InputStep {
  prompt: string;
  value: string;
  placeholder?: string;
  /** Checks the text as it is typed; a plain string is an error that keeps Enter from going on. */
  validate?: (value: string) => string | vscode.InputBoxValidationMessage | undefined;
  /** Runs on Enter once `validate` found no error: the value to go on with, or undefined to stay on the step. */
  accept?: (value: string, control: StepControl) => Promise<string | undefined>;
}

export interface PickStep<T extends vscode.QuickPickItem> {
  placeholder: string;
  items: readonly T[];
  /** The item under the cursor when the step opens (the earlier answer, after Back). */
  active?: T;
}

function isError(m: string | vscode.InputBoxValidationMessage | undefined): boolean {
  return typeof m === 'string' || m?.severity === vscode.InputBoxValidationSeverity.Error;
}

const SEVERITY = {
  [vscode.InputBoxValidationSeverity.Info]: 'info',
  [vscode.InputBoxValidationSeverity.Warning]: 'warning',
  [vscode.InputBoxValidationSeverity.Error]: 'error',
} as const;

function viewOf(title: string, input: vscode.InputBox | vscode.QuickPick<vscode.QuickPickItem>, kind: 'input' | 'pick', changed?: (value: string) => void): ShownStep {
  const box = kind === 'input' ? (input as vscode.InputBox) : undefined;
  const list = kind === 'pick' ? (input as vscode.QuickPick<vscode.QuickPickItem>) : undefined;
  return {
    kind,
    title,
    get step() { return input.step ?? 0; },
    get totalSteps() { return input.totalSteps ?? 0; },
    get value() { return input.value; },
    get prompt() { return (box ? box.prompt : list?.placeholder) ?? ''; },
    get message() {
      const m = box?.validationMessage;
      return typeof m === 'string' ? m : m?.message;
    },
    get severity() {
      const m = box?.validationMessage;
      return m === undefined ? undefined : typeof m === 'string' ? 'error' : SEVERITY[m.severity];
    },
    get busy() { return input.busy; },
    get hasBack() { return input.buttons.includes(vscode.QuickInputButtons.Back); },
    get items() { return list?.items.map((i) => i.label) ?? []; },
    get active() { return list?.activeItems.map((i) => i.label) ?? []; },
    // The workbench reports only the user's own edits, so a value set here runs the step's edit handling itself.
    type(text: string) {
      input.value = text;
      changed?.(text);
    },
  };
}

/** Runs a wizard's steps; each QuickInput it creates is disposed when the next one shows or the flow ends. */
export class MultiStepInput implements vscode.Disposable {
  private index = 0;
  private total = 0;
  private current: vscode.QuickInput | undefined;

  constructor(
    private readonly title: string,
    private readonly tracker?: StepTracker,
  ) {}

  /** Runs the steps in order: Back re-runs the previous one (its answer is the caller's state), Escape rejects with Cancelled. */
  async run(steps: ReadonlyArray<() => Promise<void>>): Promise<void> {
    this.total = steps.length;
    this.index = 0;
    try {
      while (this.index < steps.length) {
        try {
          await steps[this.index]();
          this.index++;
        } catch (err) {
          if (!(err instanceof Back)) throw err;
          this.index = Math.max(0, this.index - 1);
        }
      }
    } finally {
      this.dispose();
    }
  }

  /** An input box step; resolves with the accepted text. */
  input(step: InputStep): Promise<string> {
    const box = vscode.window.createInputBox();
    box.prompt = step.prompt;
    box.value = step.value;
    box.placeholder = step.placeholder;
    // An empty box is not yet a mistake: it is judged once something is typed, or on Enter.
    box.validationMessage = step.value === '' ? undefined : step.validate?.(step.value);
    return this.open(box, 'input', (resolve, subs) => {
      let pending: AbortController | undefined;
      /** The text the running or finished `accept` is about; its echo from the workbench is not an edit. */
      let workingOn: string | undefined;
      subs.push({ dispose: () => pending?.abort() });
      const changed = (v: string) => {
        if (v === workingOn) return;
        pending?.abort();
        pending = undefined;
        workingOn = undefined;
        box.busy = false;
        box.validationMessage = step.validate?.(v);
      };
      subs.push(box.onDidChangeValue(changed));
      subs.push(box.onDidAccept(async () => {
        const v = box.value;
        if (pending && v === workingOn) return;
        const problem = step.validate?.(v);
        if (isError(problem)) {
          box.validationMessage = problem;
          return;
        }
        if (!step.accept) return resolve(v);
        pending?.abort();
        const control = new AbortController();
        pending = control;
        workingOn = v;
        box.busy = true;
        try {
          const next = await step.accept(v, {
            box,
            signal: control.signal,
            replaceValue: (value) => {
              workingOn = value;
              box.value = value;
            },
          });
          if (!control.signal.aborted && next !== undefined) resolve(next);
        } finally {
          if (pending === control) {
            pending = undefined;
            box.busy = false;
          }
        }
      }));
      return changed;
    });
  }

  /** A pick list step; resolves with the item picked. */
  pick<T extends vscode.QuickPickItem>(step: PickStep<T>): Promise<T> {
    const list = vscode.window.createQuickPick<T>();
    list.placeholder = step.placeholder;
    list.items = step.items;
    if (step.active) list.activeItems = [step.active];
    return this.open(list, 'pick', (resolve, subs) => {
      subs.push(list.onDidAccept(() => {
        const item = list.selectedItems[0] ?? list.activeItems[0];
        if (item) resolve(item);
      }));
      return undefined;
    });
  }

  private open<T, Q extends vscode.InputBox | vscode.QuickPick<vscode.QuickPickItem>>(
    input: Q,
    kind: 'input' | 'pick',
    /** Hooks the step's events up; returns its handling of an edit, if it has any. */
    wire: (resolve: (value: T) => void, subs: vscode.Disposable[]) => ((value: string) => void) | undefined,
  ): Promise<T> {
    input.title = this.title;
    input.step = this.index + 1;
    input.totalSteps = this.total;
    input.ignoreFocusOut = true;
    input.buttons = this.index > 0 ? [vscode.QuickInputButtons.Back] : [];
    return new Promise<T>((resolve, reject) => {
      const subs: vscode.Disposable[] = [];
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        for (const s of subs.splice(0)) s.dispose();
        settle();
      };
      const changed = wire((value) => finish(() => resolve(value)), subs);
      subs.push(input.onDidTriggerButton((b) => {
        if (b === vscode.QuickInputButtons.Back) finish(() => reject(new Back()));
      }));
      subs.push(input.onDidHide(() => {
        this.tracker?.hide(input);
        finish(() => reject(new Cancelled()));
      }));
      this.current?.dispose();
      this.current = input;
      this.tracker?.show(input, viewOf(this.title, input, kind, changed));
      input.show();
    });
  }

  dispose(): void {
    if (!this.current) return;
    this.tracker?.hide(this.current);
    this.current.dispose();
    this.current = undefined;
  }
}
