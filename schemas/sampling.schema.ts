// Sampling parameters shared by every stage that shows what its model says (init, pretrain, sft...).
export const samplingSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'What the stage samples from its model for the report.',
  properties: {
    prompts: {
      type: 'array',
      items: { type: 'string' },
      default: ['The whale', 'Call me', 'It was'],
      description: 'Each prompt starts a new document.',
    },
    maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 48, description: 'Tokens generated per prompt.' },
    temperature: { type: 'number', minimum: 0, default: 0.8, description: '0 is greedy.' },
    topK: { type: 'integer', minimum: 0, default: 40, description: 'Keep the k most likely tokens (0: all).' },
    topP: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Nucleus sampling mass.' },
  },
} as const;

/** How a model's answers to task prompts are generated for scoring: greedy by default, so scores repeat. */
export const answerSamplingSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'How held-out answers are generated (greedy by default).',
  properties: {
    maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 32 },
    temperature: { type: 'number', minimum: 0, default: 0, description: '0 is greedy.' },
    topK: { type: 'integer', minimum: 0, default: 0 },
    topP: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1 },
  },
} as const;

/**
 * How an RL stage samples its rollouts: always at a temperature (log-probs are computed at the same one),
 * so the stage names the default and its anchor (TRL's response_length / max_completion_length).
 */
export const rolloutSamplingSchema = <const D extends { maxTokens: number; temperature: number; maxTokensNote: string; temperatureNote: string }>(d: D) =>
  ({
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000, default: d.maxTokens, description: d.maxTokensNote },
      temperature: { type: 'number', exclusiveMinimum: 0, default: d.temperature, description: d.temperatureNote },
      topK: { type: 'integer', minimum: 0, default: 0 },
      topP: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1 },
    },
  }) as const;

/** The guards of an RL stage: each stops the stage, keeping the last good checkpoint, and names the cause. */
export const rlGuardsSchema = <const P extends Record<string, unknown>>(properties: P) =>
  ({
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'Stop the stage (keeping the last good checkpoint) and name the cause when a run goes wrong.',
    properties: {
      minEntropy: { type: 'number', minimum: 0, default: 0.01, description: 'Mean per-token entropy of the rollouts below this (collapse).' },
      ...properties,
    },
  }) as const;
