// The reward model's pairwise loss, as TRL's RewardTrainer.compute_loss: Bradley–Terry
// −log σ(r_chosen − r_rejected − margin), batch mean, plus centering_coef · mean((r_c + r_r)²)
// (Eisenstein et al. 2023's auxiliary term that keeps rewards near 0; TRL's center_rewards_coefficient).
import type { TF, Tensor } from '../backend/types.ts';
import { checkShapes, logSigmoid } from './masked.ts';

export interface BradleyTerryOptions {
  /** Per-pair margin (B,) the chosen reward must beat the rejected one by (Llama 2's margin loss). */
  margin?: Tensor;
  /** 0 turns centering off (TRL's None); TRL's docs suggest 0.01. */
  centeringCoef: number;
}

/** chosen and rejected are the scalar rewards (B,) of each pair's two answers. Returns the scalar loss. */
export function bradleyTerryLoss(tf: TF, chosen: Tensor, rejected: Tensor, { margin, centeringCoef }: BradleyTerryOptions): Tensor {
  checkShapes('bradleyTerryLoss', { chosen, rejected, margin }, [chosen.shape[0]!]);
  if (!(centeringCoef >= 0)) throw new Error(`bradleyTerryLoss: centeringCoef must be >= 0, got ${centeringCoef}`);
  return tf.tidy(() => {
    const diff = margin ? tf.sub(tf.sub(chosen, rejected), margin) : tf.sub(chosen, rejected);
    const bt = tf.neg(tf.mean(logSigmoid(tf, diff)));
    if (centeringCoef === 0) return bt;
    return tf.add(bt, tf.mul(centeringCoef, tf.mean(tf.square(tf.add(chosen, rejected)))));
  });
}
