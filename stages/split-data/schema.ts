// Parameters of the `split-data` stage as a JSON Schema; the engine validates and fills defaults from it,
// and FromSchema derives the TypeScript type.
import type { FromSchema } from 'json-schema-to-ts';

export const splitDataSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    validFraction: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.1,
      description: 'Expected share of records (or key groups) in the validation split. With testFraction it must sum to below 1.',
    },
    testFraction: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0,
      description: 'Expected share in the test split; the `test` output exists only when this is above 0.',
    },
    key: {
      type: 'string',
      minLength: 1,
      description: 'Field to split by: records with equal values land in the same split. Default: the whole record.',
    },
  },
} as const;

export type SplitDataParams = FromSchema<typeof splitDataSchema>;
