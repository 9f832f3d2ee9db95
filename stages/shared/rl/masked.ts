// Tensor helpers the RL losses share: a masked mean that survives an all-padding batch, a fill that
// keeps padded positions finite in value and gradient, and the entropy of a softmax.
import type { TF, Tensor } from '../backend/types.ts';

/**
 * Σ(x·mask)/Σmask, over everything or along `axis`, as TRL's masked_mean; a fully masked slice gives 0
 * instead of TRL's 0/0 = NaN (the denominator is clamped at 1, as GRPOTrainer clamps its own).
 */
export function maskedMean(tf: TF, x: Tensor, mask: Tensor, axis?: number): Tensor {
  return tf.tidy(() => {
    const m = tf.cast(mask, 'float32');
    return tf.div(tf.sum(tf.mul(x, m), axis), tf.maximum(tf.sum(m, axis), 1));
  });
}

/**
 * x where mask is set, `value` elsewhere. Padded positions may hold anything (−inf log-probs, stale
 * advantages); selecting instead of multiplying keeps NaN and inf out of the loss and its gradient.
 */
export function fillMasked(tf: TF, x: Tensor, mask: Tensor, value = 0): Tensor {
  return tf.tidy(() => tf.where(tf.greater(mask, 0), x, tf.fill(x.shape, value)));
}

/** Shannon entropy in nats of softmax(logits) per row: (N, V) -> (N), as TRL's entropy_from_logits. */
export function entropyFromLogits(tf: TF, logits: Tensor): Tensor {
  if (logits.rank !== 2) throw new Error(`entropyFromLogits: logits must be (N, V), got [${logits.shape}]`);
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits, -1);
    return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
  });
}

/** Throws unless every named tensor has `shape` (the first one's when not given). */
export function checkShapes(where: string, tensors: Record<string, Tensor | undefined>, shape?: readonly number[]): void {
  const entries = Object.entries(tensors).filter((e): e is [string, Tensor] => e[1] !== undefined);
  const expected = shape ?? entries[0]?.[1].shape ?? [];
  for (const [name, t] of entries) {
    if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
      throw new Error(`${where}: ${name} has shape [${t.shape}], expected [${expected}] (${entries.map(([n, u]) => `${n} [${u.shape}]`).join(', ')})`);
    }
  }
}

/**
 * log σ(x) = −softplus(−x), stable for large |x|. tfjs 4.22's own tf.logSigmoid cannot be
 * differentiated when its input is computed inside the gradient (its custom gradient reads a disposed
 * tensor: "Cannot read properties of undefined (reading 'backend')").
 */
export function logSigmoid(tf: TF, x: Tensor): Tensor {
  return tf.tidy(() => tf.neg(tf.softplus(tf.neg(x))));
}
