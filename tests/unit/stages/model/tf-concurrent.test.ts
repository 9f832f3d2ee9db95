// Two stages starting at once in one process (concurrency: 2) both ask for the backend; both must
// get the same backend (native or wasm), not one of them a silent fall-back to the pure-JS cpu backend. Its own file: the
// backend must be uninitialised when the test starts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initTf } from '../../../../stages/shared/backend/tf.ts';

describe('initTf', () => {
  it('gives concurrent callers the same backend', async () => {
    const runtimes = await Promise.all([initTf('auto'), initTf('auto'), initTf('wasm')]);
    const auto = runtimes[0]!.backend;
    assert.ok(auto === 'native' || auto === 'wasm', auto);
    assert.deepEqual(runtimes.map((r) => r.backend), [auto, auto, 'wasm']);
  });
});
