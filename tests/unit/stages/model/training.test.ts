// Training end to end on the tiny model: one batch is overfit on cpu and on wasm, wasm computes the same
// loss and gradients as the pure-JS cpu backend (so the kernels tf.ts registers for wasm are right), and
// a training step leaks no tensors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gptLossAndGrads, initGPT, type GPTConfig } from '../../../../stages/shared/model/gpt.ts';
import { adamwStep, clipGradsByGlobalNorm, createAdamW, disposeAdamW } from '../../../../stages/shared/optim.ts';
import { initTf, type TF } from '../../../../stages/shared/tf.ts';
import { batchTensors, relativeError, TINY } from './tiny.ts';

const LR = 1e-2;
const MAX_NORM = 1.0;
const OVERFIT_STEPS = 80;
const OVERFIT_LOSS = 0.05; // from ln(32) = 3.47; reached near step 45 on either backend

/** Trains on the fixed batch; returns the loss of every step and tensor counts after each step. */
function train(tf: TF, config: GPTConfig, steps: number): { losses: number[]; tensors: number[] } {
  const params = initGPT(tf, config, 1);
  const opt = createAdamW(tf, params, { weightDecay: 0 });
  const { idx, targets } = batchTensors(tf);
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { loss, grads } = gptLossAndGrads(tf, params, config, idx, targets);
    clipGradsByGlobalNorm(tf, grads, MAX_NORM);
    adamwStep(tf, opt, params, grads, LR);
    losses.push(loss.dataSync()[0]!);
    tf.dispose([loss, ...Object.values(grads)]);
    tensors.push(tf.memory().numTensors);
  }
  disposeAdamW(opt);
  tf.dispose([idx, targets, ...Object.values(params)]);
  return { losses, tensors };
}

describe('training the tiny model', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`overfits one batch on ${backend}: loss < ${OVERFIT_LOSS} within ${OVERFIT_STEPS} steps`, async () => {
      const { tf } = await initTf(backend);
      assert.equal(tf.getBackend(), backend);
      const { losses } = train(tf, TINY, OVERFIT_STEPS);
      assert.ok(Math.abs(losses[0]! - Math.log(32)) < 0.1, `first loss ${losses[0]}`);
      const best = Math.min(...losses);
      assert.ok(best < OVERFIT_LOSS, `best loss ${best.toFixed(4)}`);
    });
  }

  it('leaks no tensors: the count after step 10 equals the count after step 50 (wasm)', async () => {
    const { tf } = await initTf('wasm');
    const { tensors } = train(tf, { ...TINY, nLayer: 2 }, 50);
    assert.equal(tensors[49], tensors[9]);
  });

  it('wasm gives the loss and gradients of the pure-JS cpu backend within 1e-4 relative', async () => {
    const config: GPTConfig = { ...TINY, nLayer: 2 };
    const results: Record<string, { loss: number; grads: Record<string, Float32Array> }> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      const { tf } = await initTf(backend);
      const params = initGPT(tf, config, 4);
      const { idx, targets, mask } = batchTensors(tf);
      const { loss, grads } = gptLossAndGrads(tf, params, config, idx, targets, mask);
      results[backend] = { loss: loss.dataSync()[0]!, grads: Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, g.dataSync() as Float32Array])) };
      tf.dispose([loss, idx, targets, mask, ...Object.values(grads), ...Object.values(params)]);
    }
    const { cpu, wasm } = results as Record<'cpu' | 'wasm', { loss: number; grads: Record<string, Float32Array> }>;
    assert.ok(Math.abs(wasm.loss - cpu.loss) / cpu.loss < 1e-4, `loss ${wasm.loss} vs ${cpu.loss}`);
    assert.deepEqual(Object.keys(wasm.grads), Object.keys(cpu.grads));
    for (const [name, g] of Object.entries(cpu.grads)) {
      const error = relativeError(wasm.grads[name]!, g);
      assert.ok(error < 1e-4, `${name}: relative error ${error}`);
    }
  });
});
