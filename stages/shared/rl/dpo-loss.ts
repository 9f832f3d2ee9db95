// The DPO family's pairwise loss, as TRL's DPOTrainer (trainer/dpo_trainer.py, compute_loss) with
// f_divergence "reverse_kl": sigmoid (Rafailov et al.; with label smoothing ε it is cDPO, as TRL ≤0.12
// wrote it: HEAD keeps ε only for robust), robust (Chowdhury et al. 2024's unbiased loss under label
// noise ε) and ipo (Azar et al. Eq. 17 on per-token-averaged log-ratios, TRL's length normalisation).
import type { TF, Tensor } from '../backend/types.ts';
import { checkShapes, logSigmoid } from './masked.ts';

export type DpoLossType = 'sigmoid' | 'ipo' | 'robust';
export const DPO_LOSS_TYPES: readonly DpoLossType[] = ['sigmoid', 'ipo', 'robust'];

export interface DpoInputs {
  /** log π_θ(chosen | prompt), summed over the answer's tokens: (B,). */
  policyChosen: Tensor;
  policyRejected: Tensor;
  /** The same under the frozen reference (precomputed once): (B,). */
  refChosen: Tensor;
  refRejected: Tensor;
  /**
   * Answer token counts (B,), used by ipo only: TRL divides each summed log-ratio by its answer's length
   * (clamped at 1). Without them ipo takes the four log-probs as already averaged per token, and its
   * chosen/rejected rewards are then β·averaged log-ratios instead of TRL's β·summed ones.
   */
  chosenTokens?: Tensor;
  rejectedTokens?: Tensor;
}

export interface DpoOptions {
  /** KL strength β (TRL default 0.1); for ipo it is the τ of the paper. */
  beta: number;
  lossType: DpoLossType;
  /** Share ε of flipped labels: in [0, 0.5) for robust, [0, 1] for sigmoid (cDPO); ignored by ipo. */
  labelSmoothing: number;
}

export interface DpoLoss {
  /** Scalar, the batch mean. */
  loss: Tensor;
  /** β·(log π_θ − log π_ref) of the chosen answers (B,): TRL's rewards/chosen (mean it to log). */
  chosenRewards: Tensor;
  rejectedRewards: Tensor;
}

export function dpoLoss(tf: TF, inputs: DpoInputs, { beta, lossType, labelSmoothing: eps }: DpoOptions): DpoLoss {
  const { policyChosen, policyRejected, refChosen, refRejected, chosenTokens, rejectedTokens } = inputs;
  checkShapes('dpoLoss', { policyChosen, policyRejected, refChosen, refRejected, chosenTokens, rejectedTokens }, [policyChosen.shape[0]!]);
  if (!DPO_LOSS_TYPES.includes(lossType)) throw new Error(`dpoLoss: unknown lossType \`${lossType}\` (use ${DPO_LOSS_TYPES.join(', ')})`);
  if (!(beta > 0)) throw new Error(`dpoLoss: beta must be > 0, got ${beta}`);
  if (lossType === 'robust' && !(eps >= 0 && eps < 0.5)) throw new Error(`dpoLoss: robust needs labelSmoothing in [0, 0.5), got ${eps}`);
  if (lossType === 'sigmoid' && !(eps >= 0 && eps <= 1)) throw new Error(`dpoLoss: labelSmoothing must lie in [0, 1], got ${eps}`);
  if ((chosenTokens === undefined) !== (rejectedTokens === undefined)) throw new Error('dpoLoss: give both chosenTokens and rejectedTokens, or neither');
  return tf.tidy(() => {
    const chosenLogratio = tf.sub(policyChosen, refChosen);
    const rejectedLogratio = tf.sub(policyRejected, refRejected);
    const perPair = (() => {
      if (lossType === 'ipo') {
        const perToken = (x: Tensor, n?: Tensor) => (n ? tf.div(x, tf.maximum(tf.cast(n, 'float32'), 1)) : x);
        const delta = tf.sub(perToken(chosenLogratio, chosenTokens), perToken(rejectedLogratio, rejectedTokens));
        return tf.square(tf.sub(delta, 1 / (2 * beta)));
      }
      const logits = tf.mul(beta, tf.sub(chosenLogratio, rejectedLogratio));
      const clean = tf.mul(-(1 - eps), logSigmoid(tf, logits));
      const flipped = tf.mul(-eps, logSigmoid(tf, tf.neg(logits)));
      // sigmoid: the expected loss under labels flipped with probability ε; robust: its unbiased correction.
      return lossType === 'sigmoid' ? tf.add(clean, flipped) : tf.div(tf.sub(clean, flipped), 1 - 2 * eps);
    })();
    return { loss: tf.mean(perPair), chosenRewards: tf.mul(beta, chosenLogratio), rejectedRewards: tf.mul(beta, rejectedLogratio) };
  });
}
