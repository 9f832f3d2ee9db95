// Parameters of `make-preferences`: how many answers are sampled per prompt and how, which judge decides
// each pair, and how many pairs a prompt may give.
import type { FromSchema } from 'json-schema-to-ts';
import { LABEL_CHOICES } from '../shared/preference/labels.ts';
import { STYLE_RULES } from './judge.ts';

export const makePreferencesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    judge: {
      enum: ['verifier', 'labels', 'reward-model'],
      default: 'verifier',
      description: 'verifier: the task checkers (unattended); labels: human choices from the `labels` input; reward-model: the `rewardModel` input scores each answer.',
    },
    prompts: { type: 'integer', minimum: 1, maximum: 1000000, default: 512, description: 'At most this many prompts (rows of `prompts`, in order).' },
    samples: { type: 'integer', minimum: 2, maximum: 64, default: 4, description: 'Answers sampled per prompt (K).' },
    includeGreedy: {
      type: 'boolean',
      default: true,
      description: "One of the K answers is the model's greedy answer, so pairs also correct what it says at temperature 0 (where evaluation reads it).",
    },
    pairsPerPrompt: { type: 'integer', minimum: 1, maximum: 2016, default: 2, description: 'At most this many pairs per prompt, strongest reasons first.' },
    styleRules: {
      type: 'array',
      items: { enum: [...STYLE_RULES] },
      uniqueItems: true,
      default: [...STYLE_RULES],
      description: 'Between two correct answers, the first rule that separates them decides (verifier judge).',
    },
    minMargin: { type: 'number', minimum: 0, default: 0.1, description: 'reward-model judge: a smaller normalised score gap is a tie.' },
    sampling: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxTokens: { type: 'integer', minimum: 1, default: 32 },
        temperature: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Diverse answers need sampling: > 0.' },
        topK: { type: 'integer', minimum: 0, default: 0 },
        topP: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1 },
      },
    },
    onMalformed: { enum: ['error', 'skip'], default: 'error', description: 'A malformed prompt or label row fails the stage, or is skipped and counted.' },
  },
} as const;

export type MakePreferencesParams = FromSchema<typeof makePreferencesSchema>;
export const LABELS = LABEL_CHOICES;
