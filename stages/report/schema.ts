// Parameters of `report`: the prompts every reported model answers side by side, and how.
import { answerSamplingSchema } from '../../schemas/sampling.schema.ts';

export const reportSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, description: 'The page title (default: the report stage name).' },
    prompts: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: ['What is the first letter of the word "whale"?'],
      description: 'User messages every reported model answers, one row per stage in the samples table.',
    },
    sampling: answerSamplingSchema,
  },
} as const;
