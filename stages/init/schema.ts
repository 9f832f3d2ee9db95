// Parameters of `init`: the model size comes from the recipe's `model:`; these only shape the report.
import { samplingSchema } from '../../schemas/sampling.schema.ts';

export const initSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sample: samplingSchema,
  },
} as const;
