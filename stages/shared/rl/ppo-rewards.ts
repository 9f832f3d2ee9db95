// PPO's per-token reward for one response: −klCoef·KL estimate on every token, plus the reward model's
// score on the last token, as TRL's PPOTrainer ("4. compute rewards") and OpenRLHF's compute_reward
// shape it. TRL adds the score one position past the last token (on the first pad); here it lands on
// the last token, as in OpenRLHF and the N-implementation-details code (see gae.ts).
import { klPerToken, type KlEstimator } from './kl.ts';

export interface TokenRewards {
  /** Per-token reward for GAE. */
  rewards: number[];
  /** The KL estimate per token (objective/kl sums it over the response). */
  kl: number[];
  /** −klCoef·ΣKL: TRL's objective/non_score_reward for this response. */
  nonScoreReward: number;
}

export function tokenRewards(score: number, logp: readonly number[], refLogp: readonly number[], klCoef: number, estimator: KlEstimator): TokenRewards {
  if (logp.length === 0) throw new Error('tokenRewards: an empty response has no token to carry its score');
  if (!Number.isFinite(score)) throw new Error(`tokenRewards: the score is ${score}`);
  const kl = klPerToken(logp, refLogp, estimator);
  const rewards = kl.map((k) => -klCoef * k);
  const nonScoreReward = rewards.reduce((a, b) => a + b, 0);
  rewards[rewards.length - 1]! += score;
  return { rewards, kl, nonScoreReward };
}
