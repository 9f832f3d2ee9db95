// The training loop with an injected step, on a quadratic whose answer is known: it converges at the
// scheduled learning rate, averages micro-batches, evaluates at step 0, every evalEvery and at the end,
// saves a stage's extra state in checkpoints and hands it back on resume (the resumed curve equals the
// uninterrupted one), and stops on a non-finite loss naming the step and the checkpoint kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineError } from '../../../../../engine/errors.ts';
import { initTf, type TF } from '../../../../../stages/shared/backend/tf.ts';
import { trainLoop, type TrainConfig, type Trainee } from '../../../../../stages/shared/train/loop.ts';
import { learningRate } from '../../../../../stages/shared/train/lr.ts';
import { makeStageContext, type TestStageContext } from '../../../../helpers/stage-context.ts';

const CONFIG: TrainConfig = {
  steps: 40, gradAccum: 1, lr: 0.1, minLr: 0.01, warmupSteps: 5, weightDecay: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8,
  gradClip: 0, evalEvery: 10, checkpointEvery: 10, logEvery: 10,
};
const TARGETS = [3, -1];

/** loss = (w - target)^2 with the target of micro-batch `micro`; the mean over micro-batches is minimised at their mean. */
function quadratic(tf: TF, options: { nanAt?: number } = {}) {
  const w = tf.variable(tf.scalar(0), true, `w${Math.random()}`);
  const calls = { evaluate: 0, restored: undefined as unknown };
  let counter = 0;
  const trainee: Trainee = {
    params: { w },
    step(step, micro) {
      counter += 1;
      const target = TARGETS[micro % TARGETS.length]!;
      const value = w.dataSync()[0]!;
      const loss = step === options.nanAt ? Number.NaN : (value - target) ** 2;
      return { loss, grads: { w: tf.scalar(2 * (value - target)) }, tokens: 10, metrics: { distance: Math.abs(value - target) } };
    },
    evaluate() {
      calls.evaluate += 1;
      return { valLoss: (w.dataSync()[0]! - 1) ** 2 };
    },
    saveState: () => ({ counter }),
    restoreState(state) {
      calls.restored = state;
      counter = state.counter as number;
    },
  };
  return { w, trainee, calls, counter: () => counter };
}

async function context(overrides = {}): Promise<TestStageContext> {
  return makeStageContext(overrides);
}

describe('trainLoop with an injected step', () => {
  it('minimises the mean over micro-batches, at the scheduled learning rate, evaluating at 0, every evalEvery and the end', async () => {
    const { tf } = await initTf('cpu');
    const q = quadratic(tf);
    const result = await trainLoop(tf, await context(), q.trainee, { ...CONFIG, steps: 200, gradAccum: 2, evalEvery: 50 });
    assert.ok(Math.abs(q.w.dataSync()[0]! - 1) < 0.05, `w = ${q.w.dataSync()[0]}`); // mean of the targets 3 and -1
    assert.equal(q.calls.evaluate, 1 + 4);
    assert.deepEqual(result.curve.filter((p) => p.valLoss !== undefined).map((p) => p.step), [50, 100, 150, 200]);
    const schedule = { lr: CONFIG.lr, warmupSteps: CONFIG.warmupSteps, maxSteps: 200, minLr: CONFIG.minLr };
    assert.deepEqual(result.curve.map((p) => p.lr), result.curve.map((_, i) => learningRate(i, schedule)));
    assert.ok(result.curve[0]!.distance! === 2, 'metrics are averaged over micro-batches: |0-3| and |0+1|');
    assert.ok(result.initialEval.valLoss === 1 && result.finalEval.valLoss! < 0.01);
    assert.equal(q.counter(), 400);
    q.w.dispose();
  });

  it('a run stopped after a checkpoint resumes with its extra state to exactly the uninterrupted curve', async () => {
    const { tf } = await initTf('cpu');
    const whole = quadratic(tf);
    const uninterrupted = await trainLoop(tf, await context(), whole.trainee, CONFIG);
    const first = quadratic(tf);
    const ctx = await context();
    ctx.progress = (update) => {
      if (update.step === 25) ctx.abortController.abort();
    };
    await assert.rejects(trainLoop(tf, ctx, first.trainee, CONFIG), { name: 'AbortError' });
    const second = quadratic(tf);
    const resumed = await trainLoop(tf, await context({ checkpointDir: ctx.checkpointDir }), second.trainee, CONFIG);
    assert.equal(resumed.resumedFrom, 20);
    assert.deepEqual(second.calls.restored, { counter: 20 });
    assert.equal(second.counter(), 40);
    assert.deepEqual(resumed.curve, uninterrupted.curve);
    assert.equal(second.w.dataSync()[0], whole.w.dataSync()[0]);
    for (const q of [whole, first, second]) q.w.dispose();
  });

  it('stops on a non-finite loss with TRAINING_DIVERGED, naming the step and the checkpoint kept', async () => {
    const { tf } = await initTf('cpu');
    const q = quadratic(tf, { nanAt: 23 });
    const error = await trainLoop(tf, await context(), q.trainee, CONFIG).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof PipelineError);
    assert.equal(error.code, 'TRAINING_DIVERGED');
    assert.equal(error.message, 'loss is NaN at step 23');
    assert.match(error.hint ?? '', /the last good checkpoint \(step 20\) is kept/);
    q.w.dispose();
  });
});
