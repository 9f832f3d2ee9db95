// Parameters of `self-instruct`: how many rows to make, how the model writes and answers instructions,
// and the filters a row must pass to be kept.
import { answerSamplingSchema } from '../../schemas/sampling.schema.ts';

export const selfInstructSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rows: { type: 'integer', minimum: 1, maximum: 1000000, default: 200, description: 'Stop once this many rows pass every filter.' },
    maxCandidates: {
      type: 'integer',
      minimum: 1,
      default: 2000,
      description: 'Stop after the model has written this many instructions, however many were kept.',
    },
    batch: { type: 'integer', minimum: 1, maximum: 1024, default: 64, description: 'Instructions written per round.' },
    writerPrompt: {
      enum: ['few-shot', 'chat'],
      default: 'few-shot',
      description:
        'few-shot: the writer continues a plain-text list of demo tasks (any language model); chat: it writes a user turn after <|user|> (a model tuned with `lossOn: all`).',
    },
    demos: {
      type: 'integer',
      minimum: 1,
      maximum: 16,
      default: 3,
      description: 'Example tasks in each prompt, drawn from the seeds and the rows kept so far; fewer when the context is short.',
    },
    seedFraction: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.75,
      description: 'Share of demos drawn from the seeds rather than from generated rows (Self-Instruct: 6 of 8).',
    },
    instructionSampling: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How the model writes new instructions (varied by default).',
      properties: {
        maxTokens: { type: 'integer', minimum: 1, default: 32 },
        temperature: { type: 'number', minimum: 0, default: 1 },
        topK: { type: 'integer', minimum: 0, default: 40 },
        topP: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.95 },
      },
    },
    responseSampling: answerSamplingSchema,
    filters: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'What a generated row must satisfy to be kept.',
      properties: {
        minInstructionWords: { type: 'integer', minimum: 1, default: 3 },
        maxInstructionWords: { type: 'integer', minimum: 1, default: 60 },
        maxInputChars: { type: 'integer', minimum: 0, default: 200 },
        maxResponseChars: { type: 'integer', minimum: 1, default: 200 },
        ngram: { type: 'integer', minimum: 1, maximum: 8, default: 3, description: 'Word n-gram size of the overlap check.' },
        maxOverlap: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: 0.7,
          description: 'Drop a row whose n-gram Jaccard similarity with a seed or a kept row reaches this.',
        },
        verify: {
          enum: ['where-possible', 'required', 'off'],
          default: 'where-possible',
          description:
            'where-possible: an instruction in the shape of a built-in task is kept only when the answer is right; required: only such rows are kept; off: no check.',
        },
      },
    },
    onMalformed: { enum: ['error', 'skip'], default: 'error', description: 'A malformed seed row fails the stage, or is skipped and counted.' },
  },
} as const;
