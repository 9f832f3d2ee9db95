// GRPO's clipped policy loss with an optional k3 KL penalty, as TRL's GRPOTrainer._compute_loss for
// importance_sampling_level "token" and loss_type grpo (per-answer mean, then batch mean), dapo (token
// sum / tokens in the whole generation batch), bnpo (token sum / tokens in this batch) and dr_grpo
// (token sum / (B · max_completion_length)). TRL also divides by the gradient-accumulation steps for
// grpo, bnpo and dr_grpo: the training loop's accumulation does that here.
import type { TF, Tensor } from '../backend/types.ts';
import { checkShapes, fillMasked, maskedMean } from './masked.ts';

export type GrpoAggregation = 'grpo' | 'dapo' | 'bnpo' | 'dr_grpo';
export const GRPO_AGGREGATIONS: readonly GrpoAggregation[] = ['grpo', 'dapo', 'bnpo', 'dr_grpo'];

export interface GrpoInputs {
  /** log π_θ(token) now: (B, T). */
  logp: Tensor;
  /** log-probs of the sampling policy (constant): (B, T). On-policy (one update per batch) pass logp's values. */
  oldLogp: Tensor;
  /** Reference log-probs (constant), needed when beta > 0: (B, T). */
  refLogp?: Tensor;
  /** One advantage per answer (B,) (group-advantages.ts), or per token (B, T). */
  advantages: Tensor;
  /** 1 on answer tokens, 0 on padding (and on masked-out truncated answers): (B, T). */
  mask: Tensor;
}

export interface GrpoOptions {
  /** Ratio clipped below at 1 − epsLow (TRL epsilon 0.2). */
  epsLow: number;
  /** ... and above at 1 + epsHigh (DAPO's clip-higher uses 0.28). */
  epsHigh: number;
  /** Weight of the k3 KL penalty to the reference; 0 needs no refLogp (TRL's default beta is 0). */
  beta: number;
  aggregation: GrpoAggregation;
  /** dr_grpo's constant length (TRL max_completion_length); at least T. */
  maxTokens: number;
  /**
   * dapo's denominator: the answer tokens in the whole generation batch when it is split into several
   * micro-batches (TRL num_items_in_batch). Default: the tokens in this batch.
   */
  tokenCount?: number;
}

export interface GrpoLoss {
  /** Scalar loss to minimise. */
  loss: Tensor;
  /** Mean k3 KL over answer tokens (TRL's `kl` metric), when refLogp is given (also with beta 0). */
  kl?: Tensor;
  /** Token shares whose ratio lies past the clip on the side that stops the gradient (clip_ratio/low_mean, …). */
  clipRatio: { low: Tensor; high: Tensor; region: Tensor };
}

export function grpoLoss(tf: TF, inputs: GrpoInputs, options: GrpoOptions): GrpoLoss {
  const { logp, oldLogp, refLogp, advantages, mask } = inputs;
  const { epsLow, epsHigh, beta, aggregation, maxTokens, tokenCount } = options;
  if (logp.rank !== 2) throw new Error(`grpoLoss: logp must be (B, T), got [${logp.shape}]`);
  checkShapes('grpoLoss', { logp, oldLogp, refLogp, mask });
  const [B, T] = logp.shape as [number, number];
  if (advantages.rank === 1) checkShapes('grpoLoss', { advantages }, [B]);
  else checkShapes('grpoLoss', { advantages, logp });
  if (!GRPO_AGGREGATIONS.includes(aggregation)) throw new Error(`grpoLoss: unknown aggregation \`${aggregation}\` (use ${GRPO_AGGREGATIONS.join(', ')})`);
  if (!(epsLow >= 0 && epsLow < 1) || !(epsHigh >= 0)) throw new Error(`grpoLoss: need 0 <= epsLow < 1 and epsHigh >= 0, got ${epsLow}, ${epsHigh}`);
  if (!(beta >= 0)) throw new Error(`grpoLoss: beta must be >= 0, got ${beta}`);
  if (beta > 0 && !refLogp) throw new Error(`grpoLoss: beta ${beta} needs refLogp (the reference's log-probs)`);
  if (aggregation === 'dr_grpo' && !(Number.isInteger(maxTokens) && maxTokens >= T)) {
    throw new Error(`grpoLoss: dr_grpo needs maxTokens >= ${T} (the answer length limit), got ${maxTokens}`);
  }
  if (tokenCount !== undefined && !(tokenCount > 0)) throw new Error(`grpoLoss: tokenCount must be > 0, got ${tokenCount}`);
  return tf.tidy(() => {
    const m = tf.cast(mask, 'float32');
    const lp = fillMasked(tf, logp, m);
    const adv = fillMasked(tf, advantages.rank === 1 ? tf.broadcastTo(tf.reshape(advantages, [B, 1]), [B, T]) : advantages, m); // (B, T)
    const ratio = tf.exp(tf.sub(lp, fillMasked(tf, oldLogp, m))); // coef_1
    const clipped = tf.clipByValue(ratio, 1 - epsLow, 1 + epsHigh); // coef_2
    let perToken = tf.neg(tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv)));
    let kl: Tensor | undefined;
    if (refLogp) {
      const refMinusLogp = tf.sub(fillMasked(tf, refLogp, m), lp);
      const perTokenKl = tf.sub(tf.sub(tf.exp(refMinusLogp), refMinusLogp), 1); // k3
      kl = maskedMean(tf, perTokenKl, m);
      if (beta > 0) perToken = tf.add(perToken, tf.mul(beta, perTokenKl));
    }
    const tokenSum = tf.sum(tf.mul(perToken, m));
    const loss =
      aggregation === 'grpo' ? tf.mean(maskedMean(tf, perToken, m, 1))
      : aggregation === 'dr_grpo' ? tf.div(tokenSum, B * maxTokens)
      : aggregation === 'dapo' && tokenCount !== undefined ? tf.div(tokenSum, tokenCount)
      : tf.div(tokenSum, tf.maximum(tf.sum(m), 1));
    const low = tf.logicalAnd(tf.less(ratio, 1 - epsLow), tf.less(adv, 0));
    const high = tf.logicalAnd(tf.greater(ratio, 1 + epsHigh), tf.greater(adv, 0));
    const share = (b: Tensor) => maskedMean(tf, tf.cast(b, 'float32'), m);
    const clipRatio = { low: share(low), high: share(high), region: share(tf.logicalOr(low, high)) };
    return kl ? { loss, kl, clipRatio } : { loss, clipRatio };
  });
}
