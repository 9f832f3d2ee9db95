// Per-answer-token numbers from a rollout (old log-probs, advantages, values) laid out as a (B, T) tensor
// that lines up with the right-padded batch of the same sequences, so PPO's and GRPO's losses read them
// at the positions where tokenLogProbs puts each answer token.
import type { Tensor, TF } from '../backend/types.ts';
import type { Sequence } from '../preference/sequences.ts';

/** (B, T) float32: row b's values at positions promptLength.., 0 elsewhere. The caller disposes it. */
export function alignedToAnswers(tf: TF, sequences: readonly Sequence[], values: readonly (readonly number[])[], T: number): Tensor {
  const data = new Float32Array(sequences.length * T);
  sequences.forEach((sequence, b) => data.set(values[b]!, b * T + sequence.promptLength));
  return tf.tensor2d(data, [sequences.length, T]);
}
