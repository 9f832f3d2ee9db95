// Parameters of `pretrain`, with nanoGPT-style defaults scaled for tiny models on a CPU.
import { samplingSchema } from '../../schemas/sampling.schema.ts';

export const pretrainSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    steps: { type: 'integer', minimum: 1, default: 300, description: 'Optimizer steps.' },
    batchSize: { type: 'integer', minimum: 1, default: 16, description: 'Sequences per micro-batch.' },
    gradAccum: { type: 'integer', minimum: 1, default: 1, description: 'Micro-batches per optimizer step.' },
    lr: { type: 'number', exclusiveMinimum: 0, default: 0.003, description: 'Peak learning rate.' },
    minLr: { type: 'number', minimum: 0, default: 0.0003, description: 'Learning rate at the end of the cosine decay.' },
    warmupSteps: { type: 'integer', minimum: 0, default: 20, description: 'Linear warm-up steps.' },
    weightDecay: { type: 'number', minimum: 0, default: 0.1, description: 'Decoupled weight decay on matrices (not norms, biases).' },
    beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9 },
    beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.95 },
    eps: { type: 'number', exclusiveMinimum: 0, default: 1e-8 },
    gradClip: { type: 'number', minimum: 0, default: 1, description: 'Clip gradients to this global norm (0: off).' },
    evalEvery: { type: 'integer', minimum: 1, default: 50, description: 'Validation loss every N steps.' },
    evalBatches: { type: 'integer', minimum: 1, default: 8, description: 'Batches per validation estimate.' },
    checkpointEvery: { type: 'integer', minimum: 1, default: 50, description: 'Resumable checkpoint every N steps.' },
    logEvery: { type: 'integer', minimum: 1, default: 10, description: 'A log line every N steps.' },
    textField: { type: 'string', default: 'text', description: 'Text field of JSONL records.' },
    maxTrainBytes: { type: 'integer', minimum: 1, default: 67108864, description: 'Train on at most this much text.' },
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
