// Parameters of the `tokenizer` stage as a JSON Schema; the engine validates and fills defaults from it,
// and FromSchema derives the TypeScript type.
import type { FromSchema } from 'json-schema-to-ts';

export const tokenizerSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    vocabSize: {
      type: 'integer',
      minimum: 263,
      maximum: 65536,
      default: 4096,
      description:
        'Tokens in the vocabulary: 7 reserved specials + 256 bytes + learnt merges. Smaller only when the corpus runs out of pairs to merge.',
    },
    textField: {
      type: 'string',
      minLength: 1,
      default: 'text',
      description: 'The field holding the text in JSONL records (.jsonl/.ndjson inputs). Other files are read as plain UTF-8 text.',
    },
    maxTrainBytes: {
      type: 'integer',
      minimum: 1,
      maximum: 268435456,
      default: 8388608,
      description: 'Learn merges from at most this many UTF-8 bytes of text: the first ones, in file order (default 8 MiB).',
    },
  },
} as const;

export type TokenizerParams = FromSchema<typeof tokenizerSchema>;
