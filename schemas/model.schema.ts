// A model's size as a stage parameter (`init.with.model`): a preset name or explicit sizes, shared
// between stages and recipes by `${vars.model}`. Each preset's sizes sit beside its name, so the
// names are defined once; stages/shared/model/config.ts turns a spec into a full config.
import type { FromSchema } from 'json-schema-to-ts';

export const MODEL_PRESET_NAMES = ['nano', 'micro', 'tiny', 'small'] as const;
export type ModelPreset = (typeof MODEL_PRESET_NAMES)[number];

export interface PresetSizes {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
}

/** Sizes for a 2-core CPU. Parameter counts are for a 256-token vocabulary (embeddings grow with it). */
export const MODEL_PRESETS: Record<ModelPreset, PresetSizes> = {
  nano: { nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64 }, //    0.12M
  micro: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 128 }, // 0.87M
  tiny: { nLayer: 6, nHead: 6, nEmbd: 192, blockSize: 256 }, //  2.8M
  small: { nLayer: 6, nHead: 8, nEmbd: 256, blockSize: 256 }, // 4.9M
};

export const modelSchema = {
  description: 'Model size: a preset name or explicit numbers.',
  oneOf: [
    { type: 'string', enum: MODEL_PRESET_NAMES },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        preset: { type: 'string', enum: MODEL_PRESET_NAMES, description: 'Start from a preset, then override fields.' },
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

/** What a recipe may write for a model's size. */
export type ModelSpec = FromSchema<typeof modelSchema>;
