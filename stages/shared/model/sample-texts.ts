// Text in, text out: encodes prompts, groups them by token length (the sampler batches equal
// lengths), generates with the KV cache, decodes. Every stage's report samples through this.
import { seededRandom } from '../../../engine/rng.ts';
import { generate, type SampleOptions } from '../sample.ts';
import type { Tokenizer } from '../tokenizer/bpe.ts';
import { EOS_ID } from '../tokenizer/special-tokens.ts';
import type { TF } from '../tf.ts';
import { gptDecoder } from './decode.ts';
import type { GPTConfig, GPTParams } from './gpt.ts';

export interface TextSample {
  prompt: string;
  completion: string;
  tokens: number;
  finish: 'stop' | 'length';
}

/** Each prompt starts a new document (after <|eos|>), the way pre-training data is laid out. */
export function sampleTexts(tf: TF, params: GPTParams, config: GPTConfig, tokenizer: Tokenizer, prompts: readonly string[], options: SampleOptions, seed: number): TextSample[] {
  const random = seededRandom(seed);
  const encoded = prompts.map((p) => [EOS_ID, ...tokenizer.encode(p)]);
  const results: TextSample[] = new Array(prompts.length);
  const byLength = new Map<number, number[]>();
  encoded.forEach((ids, i) => byLength.set(ids.length, [...(byLength.get(ids.length) ?? []), i]));
  for (const [, indices] of [...byLength].sort((a, b) => a[0] - b[0])) {
    const decoder = gptDecoder(tf, params, config, indices.length);
    try {
      const out = generate(decoder, indices.map((i) => encoded[i]!), { ...options, stopTokens: [...options.stopTokens, EOS_ID] }, random);
      indices.forEach((promptIndex, row) => {
        const ids = out.tokens[row]!.filter((id) => id !== EOS_ID);
        results[promptIndex] = { prompt: prompts[promptIndex]!, completion: tokenizer.decode(ids), tokens: out.tokens[row]!.length, finish: out.finish[row]! };
      });
    } finally {
      decoder.dispose();
    }
  }
  return results;
}
