// Text in, text out: encodes prompts, generates with the KV cache (generateGrouped), decodes.
// Every stage's report samples through this.
import { seededRandom } from '../../../engine/rng.ts';
import type { SampleOptions } from '../generate/sample.ts';
import type { Tokenizer } from '../tokenizer/bpe.ts';
import { EOS_ID } from '../tokenizer/special-tokens.ts';
import type { TF } from '../backend/tf.ts';
import { generateGrouped } from '../generate/grouped.ts';
import type { GPTConfig, GPTParams } from './gpt.ts';

export interface TextSample {
  prompt: string;
  completion: string;
  tokens: number;
  finish: 'stop' | 'length';
}

/** Each prompt starts a new document (after <|eos|>), the way pre-training data is laid out. */
export function sampleTexts(tf: TF, params: GPTParams, config: GPTConfig, tokenizer: Tokenizer, prompts: readonly string[], options: SampleOptions, seed: number): TextSample[] {
  const encoded = prompts.map((p) => [EOS_ID, ...tokenizer.encode(p)]);
  const out = generateGrouped(tf, params, config, encoded, { ...options, stopTokens: [...options.stopTokens, EOS_ID] }, seededRandom(seed));
  return prompts.map((prompt, i) => ({
    prompt,
    completion: tokenizer.decode(out.tokens[i]!.filter((id) => id !== EOS_ID)),
    tokens: out.tokens[i]!.length,
    finish: out.finish[i]!,
  }));
}
