// Parameters of `sft`: the pretrain optimiser knobs with fine-tuning defaults (lower lr, no decay),
// plus how conversations become batches and how the held-out answers are generated.
import { answerSamplingSchema } from '../../schemas/sampling.schema.ts';
import { trainingProperties } from '../../schemas/training.schema.ts';

export const sftSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...trainingProperties({ steps: 300, batchSize: 16, lr: 0.001, minLr: 0.0001, warmupSteps: 10, weightDecay: 0, evalEvery: 50, evalBatches: 4, checkpointEvery: 50, logEvery: 10 }),
    lossOn: {
      enum: ['assistant', 'all'],
      default: 'assistant',
      description:
        'assistant: learn only what the assistant says; all: learn the user turns too, so the model can also write instructions (a self-instruct writer).',
    },
    packing: {
      enum: ['pad', 'pack'],
      default: 'pad',
      description: 'pad: one conversation per row, padded with <|pad|>; pack: whole conversations packed into each row, then padded.',
    },
    overLength: {
      enum: ['truncate', 'drop'],
      default: 'truncate',
      description: 'A conversation longer than the context: cut it at blockSize (counted as truncated) or drop it.',
    },
    onMalformed: { enum: ['error', 'skip'], default: 'error', description: 'A malformed row fails the stage, or is skipped and counted.' },
    validFraction: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.05,
      description: 'Without a `heldOut` input, the validation loss uses this tail of the training conversations.',
    },
    evalExamples: { type: 'integer', minimum: 0, default: 200, description: 'At most this many held-out rows with a `task` are answered and verified.' },
    evalSampling: answerSamplingSchema,
  },
} as const;
