// AdamW against a hand-computed update, the decay rule, global-norm clipping, exact resume from the
// exported state, and the learning-rate schedule's bounds.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { learningRate, type LrSchedule } from '../../../../stages/shared/train/lr.ts';
import {
  adamwStep,
  clipGradsByGlobalNorm,
  createAdamW,
  exportOptimizerState,
  importOptimizerState,
  shouldDecay,
} from '../../../../stages/shared/train/optim.ts';
import { initTf, type TF, type Variable } from '../../../../stages/shared/backend/tf.ts';

let tf: TF;
before(async () => {
  ({ tf } = await initTf('cpu'));
});

const close = (actual: ArrayLike<number>, expected: number[], tolerance = 1e-6) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `[${i}] ${actual[i]} vs ${expected[i]}`);
};

describe('AdamW', () => {
  const config = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
  const lr = 0.1;

  it('takes the hand-computed steps: decoupled decay on the 2-D weight only, bias-corrected moments', () => {
    const params: Record<string, Variable> = {
      'h.0.mlp.c_fc.weight': tf.variable(tf.tensor2d([[1, -2]])),
      'h.0.mlp.c_fc.bias': tf.variable(tf.tensor1d([1, -2])),
    };
    const opt = createAdamW(tf, params, config);
    const grads = { 'h.0.mlp.c_fc.weight': tf.tensor2d([[0.5, -1]]), 'h.0.mlp.c_fc.bias': tf.tensor1d([0.5, -1]) };
    adamwStep(tf, opt, params, grads, lr);
    // Step 1: m = 0.1 g = [0.05, -0.1]; v = 0.05 g^2 = [0.0125, 0.05]; m_hat = m / 0.1 = [0.5, -1];
    // v_hat = v / 0.05 = [0.25, 1]; m_hat / (sqrt(v_hat) + eps) = [1, -1] (to 1e-8).
    // Weight: p (1 - lr wd) - lr [1, -1] = [0.99 - 0.1, -1.98 + 0.1]. Bias: no decay.
    close(params['h.0.mlp.c_fc.weight']!.dataSync(), [0.89, -1.88]);
    close(params['h.0.mlp.c_fc.bias']!.dataSync(), [0.9, -1.9]);
    close(opt.m['h.0.mlp.c_fc.weight']!.dataSync(), [0.05, -0.1]);
    close(opt.v['h.0.mlp.c_fc.weight']!.dataSync(), [0.0125, 0.05]);

    const grads2 = { 'h.0.mlp.c_fc.weight': tf.tensor2d([[0.1, 0.2]]), 'h.0.mlp.c_fc.bias': tf.tensor1d([0.1, 0.2]) };
    adamwStep(tf, opt, params, grads2, lr);
    // Step 2: m = [0.9*0.05 + 0.01, 0.9*-0.1 + 0.02] = [0.055, -0.07];
    // v = [0.95*0.0125 + 0.05*0.01, 0.95*0.05 + 0.05*0.04] = [0.012375, 0.0495];
    // bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.95^2 = 0.0975.
    const update = [0.055 / 0.19 / Math.sqrt(0.012375 / 0.0975), -0.07 / 0.19 / Math.sqrt(0.0495 / 0.0975)];
    close(params['h.0.mlp.c_fc.weight']!.dataSync(), [0.89 * 0.99 - lr * update[0]!, -1.88 * 0.99 - lr * update[1]!]);
    close(params['h.0.mlp.c_fc.bias']!.dataSync(), [0.9 - lr * update[0]!, -1.9 - lr * update[1]!]);
    assert.equal(opt.step, 2);
  });

  it('decays only tensors with two or more dimensions (nanoGPT)', () => {
    assert.equal(shouldDecay('wte.weight', [256, 64]), true);
    assert.equal(shouldDecay('h.0.attn.c_attn.weight', [64, 192]), true);
    assert.equal(shouldDecay('h.0.attn.c_attn.bias', [192]), false);
    assert.equal(shouldDecay('h.0.ln_1.weight', [64]), false);
  });

  it('resumes exactly from its exported state', () => {
    const make = () => ({ w: tf.variable(tf.tensor2d([[0.3, -0.7], [1.1, 0.2]])), b: tf.variable(tf.tensor1d([0.1, 0.4])) });
    const gradAt = (i: number) => ({ w: tf.tensor2d([[0.1 * i, -0.2], [0.3, 0.05 * i]]), b: tf.tensor1d([0.2, -0.1 * i]) });
    const straight = make();
    const opt = createAdamW(tf, straight, config);
    for (let i = 1; i <= 4; i++) adamwStep(tf, opt, straight, gradAt(i), lr);

    const resumed = make();
    let first = createAdamW(tf, resumed, config);
    for (let i = 1; i <= 2; i++) adamwStep(tf, first, resumed, gradAt(i), lr);
    const saved = exportOptimizerState(first);
    assert.deepEqual(Object.keys(saved).sort(), ['exp_avg.b', 'exp_avg.w', 'exp_avg_sq.b', 'exp_avg_sq.w', 'step']);
    first = importOptimizerState(tf, resumed, structuredClone(saved), config);
    assert.equal(first.step, 2);
    for (let i = 3; i <= 4; i++) adamwStep(tf, first, resumed, gradAt(i), lr);
    assert.deepEqual(resumed.w.dataSync(), straight.w.dataSync());
    assert.deepEqual(resumed.b.dataSync(), straight.b.dataSync());
  });
});

describe('clipGradsByGlobalNorm', () => {
  it('returns the pre-clip norm and scales all gradients together to maxNorm', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) };
    const before = tf.memory().numTensors;
    const norm = clipGradsByGlobalNorm(tf, grads, 1);
    assert.ok(Math.abs(norm - 5) < 1e-6);
    close(grads.a.dataSync(), [0.6, 0], 1e-6);
    close(grads.b.dataSync(), [0, 0.8], 1e-6);
    assert.equal(tf.memory().numTensors, before, 'replaced gradients are disposed');
  });

  it('leaves gradients under the limit untouched', () => {
    const a = tf.tensor1d([0.3, 0.4]);
    const grads = { a };
    assert.ok(Math.abs(clipGradsByGlobalNorm(tf, grads, 1) - 0.5) < 1e-6);
    assert.equal(grads.a, a);
  });
});

describe('learningRate', () => {
  const schedule: LrSchedule = { lr: 1e-3, warmupSteps: 10, maxSteps: 100, minLr: 1e-4 };

  it('warms up linearly from lr/(warmup+1), peaks at warmupSteps, ends at minLr', () => {
    assert.ok(Math.abs(learningRate(0, schedule) - 1e-3 / 11) < 1e-12);
    assert.ok(Math.abs(learningRate(9, schedule) - 1e-3 * (10 / 11)) < 1e-12);
    assert.equal(learningRate(10, schedule), 1e-3);
    assert.ok(Math.abs(learningRate(100, schedule) - 1e-4) < 1e-12);
    assert.equal(learningRate(5000, schedule), 1e-4);
    assert.ok(Math.abs(learningRate(55, schedule) - (1e-4 + 0.5 * (1e-3 - 1e-4))) < 1e-12, 'halfway down the cosine');
  });

  it('rises during warm-up, never increases after it, and stays within (0, lr]', () => {
    let previous = 0;
    for (let step = 0; step <= 120; step++) {
      const value = learningRate(step, schedule);
      assert.ok(value > 0 && value <= schedule.lr);
      if (step <= schedule.warmupSteps) assert.ok(value > previous, `rises at ${step}`);
      else assert.ok(value <= previous, `decays at ${step}`);
      if (step >= schedule.warmupSteps) assert.ok(value >= schedule.minLr);
      previous = value;
    }
  });

  it('handles no warm-up and maxSteps == warmupSteps', () => {
    assert.equal(learningRate(0, { ...schedule, warmupSteps: 0 }), 1e-3);
    assert.equal(learningRate(10, { ...schedule, maxSteps: 10 }), 1e-4);
  });
});
