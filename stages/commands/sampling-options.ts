// Sampling flags shared by `tempa chat` and `tempa generate`.
import type { CommandOption } from '../../engine/command.ts';

export const SAMPLING_OPTIONS: readonly CommandOption[] = [
  { flags: '--stage <stage>', description: 'the stage whose model to use, run first if stale (default: the last stage with a model)' },
  { flags: '--max-tokens <n>', description: 'tokens per answer at most', type: 'integer', default: 64 },
  { flags: '--temperature <t>', description: '0 is greedy', type: 'number', default: 0.8 },
  { flags: '--top-k <k>', description: 'keep the k most likely tokens (0: all)', type: 'integer', default: 40 },
  { flags: '--top-p <p>', description: 'nucleus sampling mass', type: 'number', default: 1 },
  { flags: '--seed <n>', description: 'sampling seed (default: the recipe seed)', type: 'integer' },
];

export interface SamplingFlags {
  stage?: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed?: number;
}
