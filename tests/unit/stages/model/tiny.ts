// Shared fixtures of the model tests: the tiny config of STYLE §5, a fixed batch, and tensor comparisons.
import { seededRandom } from '../../../../engine/rng.ts';
import { resolveModelConfig, type GPTConfig } from '../../../../stages/shared/model/gpt.ts';
import type { TF, Tensor } from '../../../../stages/shared/backend/tf.ts';

/** nLayer 1, nEmbd 16, nHead 2, vocab 32, block 8. */
export const TINY: GPTConfig = resolveModelConfig({ nLayer: 1, nEmbd: 16, nHead: 2, blockSize: 8 }, 32);

/** Two rows of 8 tokens; the last target of row 1 is -1 (ignored). */
export const BATCH = {
  idx: [
    [1, 2, 3, 4, 5, 6, 7, 8],
    [3, 3, 3, 1, 0, 31, 2, 9],
  ],
  targets: [
    [2, 3, 4, 5, 6, 7, 8, 9],
    [3, 3, 1, 0, 31, 2, 9, -1],
  ],
  mask: [
    [1, 1, 1, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1, 1, 1],
  ],
};

export function batchTensors(tf: TF): { idx: Tensor; targets: Tensor; mask: Tensor } {
  return {
    idx: tf.tensor2d(BATCH.idx, [2, 8], 'int32'),
    targets: tf.tensor2d(BATCH.targets, [2, 8], 'int32'),
    mask: tf.tensor2d(BATCH.mask, [2, 8], 'float32'),
  };
}

/** ||a - b|| / ||b||: one number per tensor, robust to tiny entries. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Deterministic uniform floats in [0, 1). */
export const rng = seededRandom;
