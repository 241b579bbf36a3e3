// The one disposable pattern: classes that own VS Code objects register them and dispose them together.

import * as vscode from 'vscode';

/** Base class for owners of disposables; `_register()` ties a child's lifetime to this object. */
export abstract class Disposable implements vscode.Disposable {
  private readonly _disposables: vscode.Disposable[] = [];
  private _isDisposed = false;

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  protected _register<T extends vscode.Disposable>(disposable: T): T {
    if (this._isDisposed) disposable.dispose();
    else this._disposables.push(disposable);
    return disposable;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    for (const d of this._disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // One failing child must not keep the others alive.
      }
    }
  }
}

/** A Disposable around a plain cleanup function. */
export function toDisposable(fn: () => void): vscode.Disposable {
  return { dispose: fn };
}
