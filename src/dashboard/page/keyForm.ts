// The small form that asks for the proxy's client key when the event stream answers 401; the key stays in this tab's sessionStorage.

import { h } from './dom';

export class KeyForm {
  readonly root: HTMLFormElement;
  private readonly input: HTMLInputElement;
  private readonly refusedNote: HTMLElement;
  private pending: ((key: string) => void) | undefined;

  constructor() {
    this.input = h('input', { type: 'password', name: 'client-key', required: true, autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Client key' });
    this.refusedNote = h('p', { class: 'key-refused', hidden: true }, 'That key was refused. Check clientKey in the config file.');
    this.root = h(
      'form',
      { class: 'key-form card', hidden: true, 'aria-labelledby': 'key-form-title' },
      h('h2', { id: 'key-form-title' }, 'Client key required'),
      h('p', {}, 'This Switchyard asks for its client key (', h('code', {}, 'clientKey'), ' in its config). It is sent in a header and kept only for this browser tab.'),
      this.refusedNote,
      h('div', { class: 'key-row' }, this.input, h('button', { type: 'submit' }, 'Connect')),
    );
    this.root.addEventListener('submit', (e) => {
      e.preventDefault();
      const key = this.input.value.trim();
      if (!key || !this.pending) return;
      const resolve = this.pending;
      this.pending = undefined;
      this.input.value = '';
      this.root.hidden = true;
      resolve(key);
    });
  }

  /** Shows the form and resolves with the key entered. */
  ask(refused: boolean): Promise<string> {
    this.refusedNote.hidden = !refused;
    this.root.hidden = false;
    this.input.focus();
    return new Promise((resolve) => (this.pending = resolve));
  }
}
