// Declared reward functions for RL stages: `correct` (the task checker accepts the answer) and `format` (the
// response states an answer). Each scores a batch of completions; the grpo stage logs each separately.
import { verifyAnswer } from '../tasks/registry.ts';
import { statedAnswer } from '../tasks/answer.ts';
import type { TaskItem } from '../tasks/types.ts';

export interface Completion { item: TaskItem; prompt: string; response: string; truncated: boolean; tokens: number; maxTokens: number }
export interface RewardFunction { name: string; weight: number; score(batch: readonly Completion[], signal?: AbortSignal): Promise<number[]>; close?(): Promise<void> }
export type RewardSpec = { type: 'correct' | 'format'; weight?: number; name?: string };
export const rewardsSchema = {
  type: 'array',
  items: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { enum: ['correct', 'format'] }, weight: { type: 'number' }, name: { type: 'string' } } },
  default: [{ type: 'correct' }],
} as const;
export async function buildRewards(specs: readonly RewardSpec[], _opts: { recipeDir: string; signal?: AbortSignal }): Promise<RewardFunction[]> {
  return specs.map((s) => ({
    name: s.name ?? s.type,
    weight: s.weight ?? 1,
    score: async (batch) => batch.map((c) => (s.type === 'correct' ? (verifyAnswer(c.item, c.response).correct ? 1 : 0) : 'text' in statedAnswer(c.response) ? 1 : 0)),
  }));
}
