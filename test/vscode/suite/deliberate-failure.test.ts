// TEMPORARY: fails on purpose to prove the harness exits non-zero.
import * as assert from 'assert';
import { suite, test } from 'mocha';

suite('deliberate failure', () => {
  test('fails on purpose', () => {
    assert.strictEqual(1 + 1, 3);
  });
});
