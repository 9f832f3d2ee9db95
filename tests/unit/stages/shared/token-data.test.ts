// Training windows: targets are inputs shifted by one, batches depend only on (seed, step).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchForStep, evalBatches, randomBatch } from '../../../../stages/shared/train/token-batches.ts';

const tokens = Int32Array.from({ length: 100 }, (_, i) => i);

describe('token batches', () => {
  it('targets are the inputs shifted left by one, inside the corpus', () => {
    const batch = randomBatch(tokens, 4, 8, Math.random);
    assert.equal(batch.x.length, 32);
    for (let b = 0; b < 4; b++) {
      const row = batch.x.subarray(b * 8, b * 8 + 8);
      const target = batch.y.subarray(b * 8, b * 8 + 8);
      for (let t = 0; t < 8; t++) assert.equal(target[t], row[t]! + 1);
      assert.ok(row[7]! + 1 <= 99);
    }
  });

  it('the same (seed, step) gives the same batch, another step or seed a different one', () => {
    assert.deepEqual(batchForStep(tokens, 4, 8, 1, 10), batchForStep(tokens, 4, 8, 1, 10));
    assert.notDeepEqual(batchForStep(tokens, 4, 8, 1, 10).x, batchForStep(tokens, 4, 8, 1, 11).x);
    assert.notDeepEqual(batchForStep(tokens, 4, 8, 1, 10).x, batchForStep(tokens, 4, 8, 2, 10).x);
    assert.notDeepEqual(batchForStep(tokens, 4, 8, 1, 10, 0).x, batchForStep(tokens, 4, 8, 1, 10, 1).x);
  });

  it('evaluation batches are fixed', () => {
    assert.deepEqual(evalBatches(tokens, 2, 8, 3, 5), evalBatches(tokens, 2, 8, 3, 5));
  });

  it('a corpus shorter than a window is a clear error', () => {
    assert.throws(() => randomBatch(Int32Array.from([1, 2, 3]), 1, 8, Math.random), /corpus has 3 tokens; a window of blockSize 8 needs at least 10/);
  });
});
