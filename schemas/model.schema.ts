// The recipe's `model:` section: a preset name or explicit sizes. Stages that build a model
// read it; the engine only validates it and keys it into the stages that declare `usesModel`.
export const MODEL_PRESETS = ['nano', 'micro', 'tiny', 'small'] as const;

export const modelSchema = {
  description: 'Model size: a preset name or explicit numbers.',
  oneOf: [
    { type: 'string', enum: MODEL_PRESETS },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        preset: { type: 'string', enum: MODEL_PRESETS, description: 'Start from a preset, then override fields.' },
        nLayer: { type: 'integer', minimum: 1, description: 'Transformer blocks.' },
        nHead: { type: 'integer', minimum: 1, description: 'Attention heads per block.' },
        nEmbd: { type: 'integer', minimum: 1, description: 'Residual stream width.' },
        blockSize: { type: 'integer', minimum: 1, description: 'Context length in tokens.' },
        vocabSize: { type: 'integer', minimum: 2, description: 'Vocabulary size (default: the tokenizer vocabulary).' },
        tieWeights: { type: 'boolean', description: 'The output head reuses the token embedding (default true).' },
        positions: { enum: ['learned', 'rotary'], description: 'Learned position table (GPT-2, default) or rotary embeddings (RoPE).' },
      },
    },
  ],
} as const;
