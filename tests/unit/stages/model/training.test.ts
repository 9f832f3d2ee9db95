// Training end to end on the tiny model: one batch is overfit on cpu and on wasm, wasm computes the same
// loss and gradients as the pure-JS cpu backend (so the kernels tf.ts registers for wasm are right), and
// a training step leaks no tensors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initTf } from '../../../../stages/shared/backend/tf.ts';
import { assertSameLossAndGrads, lossAndGrads, trainFixedBatch } from './backend-compare.ts';
import { TINY } from './tiny.ts';

const OVERFIT_STEPS = 80;
const OVERFIT_LOSS = 0.05; // from ln(32) = 3.47; reached near step 45 on either backend

describe('training the tiny model', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`overfits one batch on ${backend}: loss < ${OVERFIT_LOSS} within ${OVERFIT_STEPS} steps`, async () => {
      const { tf } = await initTf(backend);
      assert.equal(tf.getBackend(), backend);
      const { losses } = trainFixedBatch(tf, TINY, OVERFIT_STEPS, 0);
      assert.ok(Math.abs(losses[0]! - Math.log(32)) < 0.1, `first loss ${losses[0]}`);
      const best = Math.min(...losses);
      assert.ok(best < OVERFIT_LOSS, `best loss ${best.toFixed(4)}`);
    });
  }

  it('leaks no tensors: the count after step 10 equals the count after step 50 (wasm)', async () => {
    const { tf } = await initTf('wasm');
    const { tensors } = trainFixedBatch(tf, { ...TINY, nLayer: 2 }, 50, 0);
    assert.equal(tensors[49], tensors[9]);
  });

  it('wasm gives the loss and gradients of the pure-JS cpu backend within 1e-4 relative', async () => {
    assertSameLossAndGrads(await lossAndGrads('wasm'), await lossAndGrads('cpu'), '', 1e-4);
  });
});
