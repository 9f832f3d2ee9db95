// Parameters of the `make-instructions` stage as a JSON Schema; the engine validates and fills defaults
// from it, and FromSchema derives the TypeScript type.
import type { FromSchema } from 'json-schema-to-ts';

export const makeInstructionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tasks: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      uniqueItems: true,
      description:
        'Task names (`arithmetic/add`) or family names (`arithmetic`, `strings`, `lists`, `formats`, `reasoning`, `facts`) to generate. ' +
        'Absent: every task, the facts family only when a `corpus` is bound.',
    },
    trainPerTask: { type: 'integer', minimum: 0, maximum: 1000000, default: 200, description: 'Distinct training items per task.' },
    heldOutPerTask: {
      type: 'integer',
      minimum: 0,
      maximum: 1000000,
      default: 50,
      description: 'Distinct held-out items per task, drawn first, so they do not change with `trainPerTask`; never shared with train.',
    },
    promptsPerTask: {
      type: 'integer',
      minimum: 0,
      maximum: 1000000,
      default: 0,
      description: 'Distinct RL prompt items per task (the `prompts` output), drawn last: never in train or held-out, so RL learns on prompts fine-tuning never answered.',
    },
    difficulty: {
      type: 'string',
      enum: ['easy', 'medium', 'hard'],
      default: 'medium',
      description: 'Operand digits, list lengths, text lengths and object sizes of the generated items.',
    },
    worked: {
      type: 'boolean',
      default: false,
      description:
        'Write each item\'s worked solution (step by step, ending with its `Answer:` line) as the response, for tasks that have one ' +
        '(the `reasoning` family); other tasks keep the bare `Answer: <answer>`.',
    },
    textField: { type: 'string', minLength: 1, default: 'text', description: 'The field holding the text in `corpus` JSONL records.' },
    maxCorpusBytes: {
      type: 'integer',
      minimum: 1,
      maximum: 1073741824,
      default: 16777216,
      description: 'The fact table reads at most this many UTF-8 bytes of the corpus: the first ones, in file order (default 16 MiB).',
    },
    factWords: {
      type: 'integer',
      minimum: 1,
      maximum: 1000000,
      default: 2000,
      description: 'At most this many corpus words (a seeded sample of its vocabulary) make up the fact table.',
    },
  },
} as const;

export type MakeInstructionsParams = FromSchema<typeof makeInstructionsSchema>;
