// Parameters of `ppo`, with TRL's PPOConfig defaults where they fit a tiny CPU model (and the knob named
// as TRL names it in the description), plus the guards that stop a run going wrong.
import type { FromSchema } from 'json-schema-to-ts';
import { rlGuardsSchema, rolloutSamplingSchema } from '../../schemas/sampling.schema.ts';
import { rewardSpecSchema } from '../shared/rewards/schema.ts';
import { trainingProperties } from '../../schemas/training.schema.ts';

export const ppoSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...trainingProperties({ steps: 200, batchSize: 64, lr: 0.00003, minLr: 0.000003, warmupSteps: 0, weightDecay: 0, evalEvery: 1000000, evalBatches: 1, checkpointEvery: 20, logEvery: 4 }),
    prompts: { type: 'integer', minimum: 1, maximum: 1000000, default: 4096, description: 'Rollout prompts are drawn from the first N rows of `prompts`.' },
    ppoEpochs: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'Passes over each rollout batch (TRL num_ppo_epochs). batchSize is the rollout batch (prompts per rollout).' },
    minibatches: { type: 'integer', minimum: 1, maximum: 64, default: 1, description: 'Minibatches per pass; each is one optimizer step (TRL num_mini_batches).' },
    sampling: rolloutSamplingSchema({ maxTokens: 16, temperature: 0.7, maxTokensNote: 'TRL response_length.', temperatureNote: 'Rollouts sample, and log-probs are computed, at this temperature (TRL 0.7).' }),
    klCoef: { type: 'number', minimum: 0, default: 0.05, description: 'Per-token KL penalty to the reference in the reward (TRL kl_coef); the start value when adaptive.' },
    klEstimator: { enum: ['k1', 'k2', 'k3'], default: 'k1', description: 'TRL kl_estimator (k1 log-ratio, k3 unbiased and positive).' },
    klTarget: { type: 'number', exclusiveMinimum: 0, description: 'Set to adapt the KL coefficient toward this KL per answer (Ziegler et al.; horizon klHorizon).' },
    klHorizon: { type: 'number', exclusiveMinimum: 0, default: 10000 },
    cliprange: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Policy ratio clip (TRL cliprange).' },
    cliprangeValue: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Value clip around the rollout values (TRL cliprange_value).' },
    vfCoef: { type: 'number', minimum: 0, default: 0.1, description: 'Weight of the value loss (TRL vf_coef).' },
    gamma: { type: 'number', minimum: 0, maximum: 1, default: 1 },
    lam: { type: 'number', minimum: 0, maximum: 1, default: 0.95, description: 'GAE lambda (TRL lam).' },
    whitenRewards: { type: 'boolean', default: false },
    rewards: {
      type: 'array',
      items: rewardSpecSchema,
      default: [],
      description:
        'Reward functions (as grpo declares them: the task checkers, `module`, `exec`) added to the reward model\'s score, or the whole reward when ' +
        'no `rewardModel` is bound; they need task rows as `prompts`. Rule-based rewards beside a learned one, as OpenRLHF and DeepSeek use them.',
    },
    missingEosPenalty: { type: 'number', minimum: 0, default: 1, description: 'Subtracted from the score of an answer that never emits <|end|> (TRL missing_eos_penalty, the "EOS trick").' },
    guards: rlGuardsSchema({
      maxKl: { type: 'number', exclusiveMinimum: 0, default: 10, description: 'objective/kl (summed over an answer) above this.' },
      maxRatioDeviation: { type: 'number', exclusiveMinimum: 0, default: 1, description: '|val/ratio - 1| above this.' },
    }),
    onMalformed: { enum: ['error', 'skip'], default: 'error' },
  },
} as const;

export type PpoParams = FromSchema<typeof ppoSchema>;
