// PPO's clipped policy and value losses over (B, T) response tokens, as TRL's PPOTrainer.train
// (experimental/ppo/ppo_trainer.py, pg_loss and vf_loss). One departure: approxkl is averaged over
// valid tokens only; TRL averages over every position of the padded batch (its padding holds equal
// INVALID_LOGPROB fills, so pads add zeros), which makes its value shrink as padding grows.
import type { TF, Tensor } from '../backend/types.ts';
import { checkShapes, fillMasked, maskedMean } from './masked.ts';

export interface PpoPolicyInputs {
  /** log π_θ(token) under the policy being trained: (B, T). */
  logp: Tensor;
  /** log-probs when the rollout was sampled (constant): (B, T). */
  oldLogp: Tensor;
  /** Whitened advantages (B, T). */
  advantages: Tensor;
  /** 1 on response tokens, 0 on padding: (B, T). */
  mask: Tensor;
}

export interface PpoPolicyLoss {
  /** Scalar: masked mean of max(−A·ratio, −A·clip(ratio, 1 ± clipEps)). */
  loss: Tensor;
  /** Share of tokens whose clipped term won (policy/clipfrac). */
  clipfrac: Tensor;
  /** ½·mean((logp − oldLogp)²) over valid tokens (policy/approxkl). */
  approxkl: Tensor;
}

export function ppoPolicyLoss(tf: TF, { logp, oldLogp, advantages, mask }: PpoPolicyInputs, clipEps: number): PpoPolicyLoss {
  checkShapes('ppoPolicyLoss', { logp, oldLogp, advantages, mask });
  if (!(clipEps > 0)) throw new Error(`ppoPolicyLoss: clipEps must be > 0, got ${clipEps}`);
  return tf.tidy(() => {
    const diff = tf.sub(fillMasked(tf, logp, mask), fillMasked(tf, oldLogp, mask)); // 0 on padding
    const adv = fillMasked(tf, advantages, mask);
    const ratio = tf.exp(diff);
    const unclipped = tf.mul(tf.neg(adv), ratio);
    const clipped = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - clipEps, 1 + clipEps));
    return {
      loss: maskedMean(tf, tf.maximum(unclipped, clipped), mask),
      clipfrac: maskedMean(tf, tf.cast(tf.greater(clipped, unclipped), 'float32'), mask),
      approxkl: tf.mul(0.5, maskedMean(tf, tf.square(diff), mask)),
    };
  });
}

export interface PpoValueInputs {
  /** The value head's predictions now: (B, T). */
  values: Tensor;
  /** Its predictions at rollout time (constant): (B, T). */
  oldValues: Tensor;
  /** GAE returns (advantages + old values): (B, T). */
  returns: Tensor;
  mask: Tensor;
}

export interface PpoValueLoss {
  /** Scalar: ½·masked mean of max((V − R)², (clip(V, V_old ± clipRange) − R)²). */
  loss: Tensor;
  /** Share of tokens whose clipped error was the larger (val/clipfrac). */
  clipfrac: Tensor;
}

export function ppoValueLoss(tf: TF, { values, oldValues, returns, mask }: PpoValueInputs, clipRange: number): PpoValueLoss {
  checkShapes('ppoValueLoss', { values, oldValues, returns, mask });
  if (!(clipRange > 0)) throw new Error(`ppoValueLoss: clipRange must be > 0, got ${clipRange}`);
  return tf.tidy(() => {
    const [v, vOld, ret] = [values, oldValues, returns].map((x) => fillMasked(tf, x, mask)) as [Tensor, Tensor, Tensor];
    // torch.clamp(vpred, vOld − c, vOld + c): elementwise bounds, gradient only inside them.
    const vClipped = tf.minimum(tf.maximum(v, tf.sub(vOld, clipRange)), tf.add(vOld, clipRange));
    const unclipped = tf.square(tf.sub(v, ret));
    const clipped = tf.square(tf.sub(vClipped, ret));
    return {
      loss: tf.mul(0.5, maskedMean(tf, tf.maximum(unclipped, clipped), mask)),
      clipfrac: maskedMean(tf, tf.cast(tf.greater(clipped, unclipped), 'float32'), mask),
    };
  });
}
