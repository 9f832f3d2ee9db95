// Parameters of `reward-model`: the shared training knobs with reward-model defaults, the Bradley-Terry
// options, and how pairs are held out for the pairwise accuracy.
import type { FromSchema } from 'json-schema-to-ts';
import { trainingProperties } from '../../schemas/training.schema.ts';

export const rewardModelSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...trainingProperties({ steps: 200, batchSize: 16, lr: 0.0003, minLr: 0.00003, warmupSteps: 10, weightDecay: 0, evalEvery: 50, evalBatches: 8, checkpointEvery: 50, logEvery: 10 }),
    centeringCoef: {
      type: 'number',
      minimum: 0,
      default: 0.01,
      description: 'Adds coef * mean((r_chosen + r_rejected)^2), pinning the shift-invariant rewards near 0 (TRL center_rewards_coefficient; Eisenstein et al. 2023).',
    },
    margin: { type: 'number', minimum: 0, default: 0, description: 'loss = -log sigmoid(r_chosen - r_rejected - margin) (Llama 2); 0 is plain Bradley-Terry.' },
    validFraction: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.1,
      description: 'Without a `heldOut` input, pairs of this share of prompts (chosen by hashing the prompt) are held out.',
    },
    onMalformed: { enum: ['error', 'skip'], default: 'error', description: 'A malformed pair fails the stage, or is skipped and counted.' },
  },
} as const;

export type RewardModelParams = FromSchema<typeof rewardModelSchema>;
