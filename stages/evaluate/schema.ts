// Parameters of `evaluate`: how many held-out rows are answered, how, how many answers are sampled for
// pass@k, and which extra prompts the report shows both models answering.
import { answerSamplingSchema } from '../../schemas/sampling.schema.ts';

export const evaluateSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    examples: { type: 'integer', minimum: 1, maximum: 100_000_000, default: 500, description: 'At most this many held-out rows with a `task` are answered and verified.' },
    sampling: answerSamplingSchema,
    samples: {
      type: 'integer',
      minimum: 0,
      maximum: 1000,
      default: 8,
      description: 'Answers sampled per held-out prompt for pass@k (k = 1..min(8, samples)), besides the scored answer; 0 turns sampling off.',
    },
    sampleTemperature: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Temperature of the answers sampled for pass@k (no top-k, no top-p).' },
    prompts: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description: 'Free-form user messages every model answers for the report, besides the held-out tasks.',
    },
    showPerTask: { type: 'integer', minimum: 0, default: 2, description: 'Held-out prompts per task shown with each model’s answer in report.md.' },
    onMalformed: { enum: ['error', 'skip'], default: 'error', description: 'A malformed held-out row fails the stage, or is skipped and counted.' },
  },
} as const;
