// Parameters of the `load-data` stage as a JSON Schema; the engine validates and fills defaults from it,
// and FromSchema derives the TypeScript type, so there is no hand-written params interface.
import type { FromSchema } from 'json-schema-to-ts';

export const loadDataSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    format: {
      type: 'string',
      enum: ['auto', 'text', 'jsonl', 'csv', 'parquet'],
      default: 'auto',
      description:
        'How to read every source file. `auto` picks by extension: .txt/.md/.text text, .jsonl/.ndjson jsonl, .csv csv, .tsv csv with tabs, .parquet parquet.',
    },
    textUnit: {
      type: 'string',
      enum: ['file', 'paragraph', 'line'],
      default: 'paragraph',
      description: 'How plain text splits into `{text}` records: one per file, per blank-line-separated paragraph, or per line.',
    },
    onMalformed: {
      type: 'string',
      enum: ['error', 'skip'],
      default: 'error',
      description: 'What a malformed row does: fail the stage naming file and line, or skip it and count it.',
    },
    csvDelimiter: {
      type: 'string',
      minLength: 1,
      description: 'Field delimiter for CSV files. Default: a comma, or a tab for .tsv files.',
    },
    fields: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      uniqueItems: true,
      description: 'Keep only these fields of each record; a row missing one of them is malformed.',
    },
    allowEmpty: {
      type: 'boolean',
      description: 'Succeed with no records (default: no records is an error, since every later stage would learn from nothing).',
    },
    maxRecords: {
      type: 'integer',
      minimum: 1,
      description: 'Stop after writing this many records (across all files, in file order).',
    },
  },
} as const;

export type LoadDataParams = FromSchema<typeof loadDataSchema>;
