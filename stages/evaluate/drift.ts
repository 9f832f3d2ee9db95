// What shows reward hacking beside the checkers' score (rl-anchors C): on one answer sampled per held-out
// prompt at temperature 1, the mean answer length, the reward model's mean normalised score, and the KL
// to the baseline model, E[sum_t log pi(y_t) - log pi_base(y_t)] (the k1 estimate on the model's own
// samples). A reward score that rises while accuracy falls and KL or length grow is the signature.
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import type { ChatTurn } from '../shared/chat/template.ts';
import type { ModelMeta } from '../shared/model/folder.ts';
import type { LanguageModel } from '../shared/model/language-model.ts';
import { rewardScores } from '../shared/preference/reward-scores.ts';
import { sampleRollouts, scoreAnswerTokens } from '../shared/rollout/rollouts.ts';
import { mean } from '../shared/metrics/mean.ts';

export interface Drift {
  /** Mean tokens per sampled answer (the end token included). */
  answerTokens: number;
  /** Mean normalised reward-model score of the sampled answers. */
  rewardScore?: number;
  /** Mean summed log-ratio to the baseline over the sampled answers. */
  klToBaseline?: number;
}

export function answerDrift(
  model: LanguageModel,
  prompts: readonly (readonly ChatTurn[])[],
  options: { maxTokens: number; seed: number; baseline?: LanguageModel; rewardModel?: LanguageModel & { meta: ModelMeta } },
): Drift {
  const sampling = { maxTokens: options.maxTokens, temperature: 1, topK: 0, topP: 1 };
  const rollouts = sampleRollouts(model, prompts, 1, sampling, seededRandom(deriveSeed(options.seed, 'drift'))).filter((r) => r.answer.length > 0);
  const sequences = rollouts.map((r) => r.sequence);
  const drift: Drift = { answerTokens: mean(rollouts.map((r) => r.answer.length)) };
  if (options.rewardModel) drift.rewardScore = mean(rewardScores(options.rewardModel, sequences));
  if (options.baseline) {
    const own = scoreAnswerTokens(model, sequences, 1).logps;
    const base = scoreAnswerTokens(options.baseline, sequences, 1).logps;
    drift.klToBaseline = mean(own.map((row, i) => row.reduce((sum, lp, t) => sum + lp - base[i]![t]!, 0)));
  }
  return drift;
}
