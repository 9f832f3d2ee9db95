// The rewards that need nothing but the task library and the answer length: correctness and format from
// the task's verifier (registry.ts), and DAPO's soft over-length penalty (rl-anchors.md, section D).
import { verifyAnswer, verifyFormat } from '../tasks/registry.ts';
import type { Completion, RewardFunction } from './types.ts';

/**
 * DAPO's soft overlong punishment (TRL `get_soft_overlong_punishment`): 0 while the answer has at most
 * maxTokens - cache tokens, then falling linearly to -1 at maxTokens; -1 past it and for an answer cut
 * off at the limit, which never reached its end. E.g. maxTokens 100, cache 20: 90 tokens give -0.5.
 */
export function overlongPenalty(completion: Pick<Completion, 'tokens' | 'maxTokens' | 'truncated'>, cache: number): number {
  const { tokens, maxTokens, truncated } = completion;
  const free = maxTokens - cache;
  if (truncated || tokens > maxTokens) return -1;
  return tokens <= free ? 0 : (free - tokens) / cache;
}

const perCompletion = (name: string, weight: number, score: (c: Completion) => number): RewardFunction => ({
  name,
  weight,
  score: async (batch) => batch.map(score),
});

/** 1 when the task's verifier accepts the stated answer, else 0. */
export const correctReward = (name: string, weight: number): RewardFunction =>
  perCompletion(name, weight, (c) => (verifyAnswer(c.item, c.response).correct ? 1 : 0));

/** 1 when the response states an answer in the task's answer format (right or wrong), else 0. */
export const formatReward = (name: string, weight: number): RewardFunction =>
  perCompletion(name, weight, (c) => (verifyFormat(c.item, c.response).correct ? 1 : 0));

export const overlongReward = (name: string, weight: number, cache: number): RewardFunction => perCompletion(name, weight, (c) => overlongPenalty(c, cache));
