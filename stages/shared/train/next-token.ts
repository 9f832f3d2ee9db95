// The step pretrain and SFT inject into the training loop: next-token cross-entropy of a language model
// on batches that are a pure function of (step, micro) (so a resumed run draws the same ones), with the
// mean loss over fixed evaluation batches as the held-out metric.
import type { Tensor } from '../backend/tf.ts';
import type { LanguageModel } from '../model/language-model.ts';
import type { Batch } from './token-batches.ts';
import type { Trainee } from './loop.ts';

export interface NextTokenData {
  /** Micro-batch `micro` of optimizer step `step`; must depend only on (step, micro). Targets < 0 do not count. */
  trainBatch(step: number, micro: number): Batch;
  evalSet: Batch[];
}

function toTensors(model: LanguageModel, batch: Batch): { x: Tensor; y: Tensor } {
  const { tf } = model;
  return { x: tf.tensor2d(batch.x, [batch.batchSize, batch.blockSize], 'int32'), y: tf.tensor2d(batch.y, [batch.batchSize, batch.blockSize], 'int32') };
}

/** Mean loss over the fixed evaluation batches. */
export function estimateLoss(model: LanguageModel, evalSet: Batch[]): number {
  let total = 0;
  for (const batch of evalSet) {
    total += model.tf.tidy(() => {
      const { x, y } = toTensors(model, batch);
      return model.nextTokenLoss(x, y).dataSync()[0]!;
    });
  }
  return total / evalSet.length;
}

export function nextTokenTrainee(model: LanguageModel, data: NextTokenData): Trainee {
  const { tf } = model;
  const params = model.parameters();
  const names = Object.keys(params);
  return {
    params,
    step(step, micro) {
      const batch = data.trainBatch(step, micro);
      const { x, y } = toTensors(model, batch);
      const { value, grads } = tf.variableGrads(() => model.nextTokenLoss(x, y) as never, names.map((n) => params[n]!));
      x.dispose();
      y.dispose();
      const loss = value.dataSync()[0]!;
      value.dispose();
      return { loss, grads: Object.fromEntries(names.map((n) => [n, grads[params[n]!.name]!])), tokens: batch.x.length };
    },
    evaluate: () => ({ valLoss: estimateLoss(model, data.evalSet) }),
  };
}
