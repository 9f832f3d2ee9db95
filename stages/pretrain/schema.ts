// Parameters of `pretrain`, with nanoGPT-style defaults scaled for tiny models on a CPU.
import { samplingSchema } from '../../schemas/sampling.schema.ts';
import { trainingProperties } from '../../schemas/training.schema.ts';

export const pretrainSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...trainingProperties({ steps: 300, batchSize: 16, lr: 0.003, minLr: 0.0003, warmupSteps: 20, weightDecay: 0.1, evalEvery: 50, evalBatches: 8, checkpointEvery: 50, logEvery: 10 }),
    textField: { type: 'string', default: 'text', description: 'Text field of JSONL records.' },
    maxTrainBytes: { type: 'integer', minimum: 1, maximum: 1099511627776, default: 67108864, description: 'Train on at most this much text.' },
    validFraction: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.05,
      description: 'Without a `valid` input, hold out this tail of the training tokens.',
    },
    sample: samplingSchema,
  },
} as const;
