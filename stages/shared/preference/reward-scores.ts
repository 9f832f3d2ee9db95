// A reward model's scores of (prompt, answer) sequences: its scalar head at each row's last real token,
// normalised with the mean and std saved beside it, in batches of right-padded rows.
import type { LanguageModel } from '../model/language-model.ts';
import { valuesAtLastToken } from '../model/language-model.ts';
import type { ModelMeta } from '../model/folder.ts';
import { inBatches, type Sequence } from './sequences.ts';

export const REWARD_HEAD = 'score';

/** Head values at the last token, before normalisation. */
export function rawRewards(model: LanguageModel, sequences: readonly Sequence[], batchSize = 64): number[] {
  const { tf } = model;
  return inBatches(tf, sequences, (batch) => tf.tidy(() => Array.from(valuesAtLastToken(tf, model.headValues(REWARD_HEAD, batch.ids), batch.lengths).dataSync())), batchSize);
}

/** Normalised scores: mean 0 and std 1 on the reference policy's answers when the model was saved. */
export function rewardScores(model: LanguageModel & { meta: ModelMeta }, sequences: readonly Sequence[], batchSize?: number): number[] {
  const norm = model.meta.reward ?? { mean: 0, std: 1 };
  return rawRewards(model, sequences, batchSize).map((r) => (r - norm.mean) / norm.std);
}
