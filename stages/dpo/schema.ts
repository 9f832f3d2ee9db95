// Parameters of `dpo`: the shared training knobs with DPO defaults, the loss variant and its coefficients.
import type { FromSchema } from 'json-schema-to-ts';
import { trainingProperties } from '../../schemas/training.schema.ts';

export const dpoSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...trainingProperties({ steps: 200, batchSize: 16, lr: 0.0001, minLr: 0.00001, warmupSteps: 10, weightDecay: 0, evalEvery: 50, evalBatches: 8, checkpointEvery: 50, logEvery: 10 }),
    beta: { type: 'number', exclusiveMinimum: 0, default: 0.1, description: 'Strength of the implicit KL to the reference (TRL default 0.1).' },
    lossType: {
      enum: ['sigmoid', 'ipo', 'robust'],
      default: 'sigmoid',
      description: 'sigmoid: DPO (Rafailov et al. 2023); ipo: Azar et al. 2023 on per-token-averaged log-ratios, as TRL; robust: Chowdhury et al. 2024 for noisy labels (uses labelSmoothing).',
    },
    labelSmoothing: { type: 'number', minimum: 0, exclusiveMaximum: 0.5, default: 0, description: 'The assumed share of flipped labels (robust DPO; cDPO for sigmoid).' },
    nllCoef: {
      type: 'number',
      minimum: 0,
      default: 0,
      description: 'Adds coef * the mean NLL of the chosen answers (RPO, Pang et al. 2024: keeps chosen log-probs from falling).',
    },
    validFraction: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.1,
      description: 'Without a `heldOut` input, pairs of this share of prompts are held out for the reward accuracy.',
    },
    onMalformed: { enum: ['error', 'skip'], default: 'error', description: 'A malformed pair fails the stage, or is skipped and counted.' },
  },
} as const;

export type DpoParams = FromSchema<typeof dpoSchema>;
