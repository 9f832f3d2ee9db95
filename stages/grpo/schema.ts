// Parameters of `grpo`, named and defaulted as TRL's GRPOConfig where they fit a tiny CPU model (the TRL
// name is in each description), plus DAPO's dynamic sampling and the guards that stop a run going wrong.
import type { FromSchema } from 'json-schema-to-ts';
import { rlGuardsSchema, rolloutSamplingSchema } from '../../schemas/sampling.schema.ts';
import { trainingProperties } from '../../schemas/training.schema.ts';
import { rewardsSchema } from '../shared/rewards/index.ts';

export const grpoSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...trainingProperties({ steps: 100, batchSize: 8, lr: 0.0001, minLr: 0.00001, warmupSteps: 0, weightDecay: 0, evalEvery: 1000000, evalBatches: 1, checkpointEvery: 20, logEvery: 10 }),
    prompts: { type: 'integer', minimum: 1, maximum: 100_000_000, default: 100_000, description: 'Rollout prompts are drawn from the first N scorable rows of `prompts`.' },
    generations: { type: 'integer', minimum: 2, maximum: 1024, default: 8, description: 'Answers sampled per prompt, one group (TRL num_generations). batchSize counts prompts per rollout.' },
    iterations: { type: 'integer', minimum: 1, maximum: 64, default: 1, description: 'Passes over each rollout batch, with the sampling policy\'s log-probs in the ratio (TRL num_iterations, GRPO\'s μ).' },
    minibatches: { type: 'integer', minimum: 1, maximum: 64, default: 1, description: 'Optimizer steps per pass over a rollout (TRL steps_per_generation).' },
    sampling: rolloutSamplingSchema({ maxTokens: 32, temperature: 1, maxTokensNote: 'TRL max_completion_length.', temperatureNote: 'Answers are sampled, and log-probs computed, at this temperature (TRL 1.0).' }),
    rewards: rewardsSchema,
    scaleRewards: { enum: ['group', 'batch', 'none'], default: 'group', description: 'Advantage = reward − group mean, divided by the group\'s std, the batch\'s, or nothing (Dr. GRPO) (TRL scale_rewards).' },
    lossType: { enum: ['grpo', 'dapo', 'bnpo', 'dr_grpo'], default: 'dapo', description: 'Loss aggregation: per-answer mean (grpo), per token over the optimizer step\'s answers (dapo), per token over each micro-batch (bnpo), over answers × maxTokens (dr_grpo) (TRL loss_type).' },
    epsilon: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.2, description: 'Ratio clipped below at 1 − epsilon (TRL epsilon).' },
    epsilonHigh: { type: 'number', exclusiveMinimum: 0, description: 'Ratio clipped above at 1 + epsilonHigh; default epsilon; DAPO clip-higher uses 0.28 (TRL epsilon_high).' },
    beta: { type: 'number', minimum: 0, default: 0, description: 'Weight of the k3 KL to the frozen reference in the loss; 0 loads no reference unless one is bound (TRL beta).' },
    maskTruncated: { type: 'boolean', default: false, description: 'Answers cut off at maxTokens take no part in the loss (TRL mask_truncated_completions, DAPO overlong filtering).' },
    dynamicSampling: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'DAPO: drop groups whose answers all score the same (they teach nothing) and sample more prompts until the batch is full.',
      properties: {
        enabled: { type: 'boolean', default: false },
        maxRounds: { type: 'integer', minimum: 1, maximum: 100, default: 4, description: 'Sampling rounds per rollout at most; a batch still short after them trains on the groups it has.' },
      },
    },
    guards: rlGuardsSchema({
      zeroSpreadRollouts: { type: 'integer', minimum: 1, default: 20, description: 'Stop after this many rollouts in a row in which every group scored the same (nothing to learn).' },
      maxKl: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Mean per-token k3 KL to the reference above this (needs a reference: beta > 0 or `reference` bound).' },
    }),
    onMalformed: { enum: ['error', 'skip'], default: 'error' },
  },
} as const;

export type GrpoParams = FromSchema<typeof grpoSchema>;
