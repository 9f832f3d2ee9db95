// Parameters of `init`: the model's size (a preset or sizes; recipes share one by `${vars.model}`)
// and the samples that show what the untrained model says.
import { modelSchema } from '../../schemas/model.schema.ts';
import { samplingSchema } from '../../schemas/sampling.schema.ts';

export const initSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: modelSchema,
    sample: samplingSchema,
  },
} as const;
