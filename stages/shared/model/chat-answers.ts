// Conversations in, the model's replies out: the chat template, the KV cache with prompts batched by
// length, stopping at <|end|>. Evaluation, self-instruct and `tempa generate` answer through this.
import { seededRandom } from '../../../engine/rng.ts';
import { renderPrompt, type ChatTurn } from '../chat/template.ts';
import type { SampleOptions } from '../generate/sample.ts';
import type { TF } from '../backend/tf.ts';
import type { Tokenizer } from '../tokenizer/bpe.ts';
import { END_ID, EOS_ID } from '../tokenizer/special-tokens.ts';
import { generateGrouped } from '../generate/grouped.ts';
import type { GPTConfig, GPTParams } from './gpt.ts';

/** Rows per decoding batch: bounds the KV cache. */
const MAX_DECODE_BATCH = 64;

export type AnswerOptions = Omit<SampleOptions, 'stopTokens'>;

/** The model's reply to each conversation (KV cache, prompts batched by length), ending at `<|end|>`. */
export function answerChats(
  tf: TF,
  params: GPTParams,
  config: GPTConfig,
  tokenizer: Tokenizer,
  conversations: readonly (readonly ChatTurn[])[],
  options: AnswerOptions,
  seed: number,
): string[] {
  const prompts = conversations.map((turns) => Array.from(renderPrompt(tokenizer, turns)));
  const out = generateGrouped(tf, params, config, prompts, { ...options, stopTokens: [END_ID, EOS_ID] }, seededRandom(seed), MAX_DECODE_BATCH);
  return out.tokens.map((ids) => tokenizer.decode(ids.filter((id) => id !== END_ID && id !== EOS_ID)));
}
