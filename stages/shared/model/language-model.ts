// The handle every stage and command holds a model through: config, tokenizer, weights and scalar heads,
// with what training and RL need of a language model (logits, hidden states, per-token log-probs under a
// padding mask, generation that returns log-probs, chat answers). PPO's policy, frozen reference, value
// and reward models are four of these; a frozen model is one whose parameters no optimiser is given.
import { deriveSeed, seededRandom } from '../../../engine/rng.ts';
import type { TF, Tensor, Variable } from '../backend/tf.ts';
import { renderPrompt, type ChatTurn } from '../chat/template.ts';
import { generateBatched } from '../generate/batched.ts';
import type { DecodeModel, Generation, SampleOptions } from '../generate/sample.ts';
import type { Tokenizer } from '../tokenizer/bpe.ts';
import { END_ID, EOS_ID } from '../tokenizer/special-tokens.ts';
import { gptDecoder } from './decode.ts';
import { forward, hidden, logProbsFromLogits, gptLoss, type GPTParams } from './gpt.ts';
import { type GPTConfig } from './config.ts';

/** A linear map from the final hidden state to one number per position (HF `score`, OpenRLHF value_head). */
export interface ScalarHead {
  /** (1, C), like HF's `score.weight` of a one-label sequence classifier. */
  weight: Variable;
}

export interface TextSample {
  prompt: string;
  completion: string;
  tokens: number;
  finish: 'stop' | 'length';
}

export type AnswerOptions = Omit<SampleOptions, 'stopTokens'>;

export interface LanguageModel {
  readonly tf: TF;
  readonly config: GPTConfig;
  readonly tokenizer: Tokenizer;
  /** Transformer and LM-head weights by HF GPT-2 name. */
  readonly weights: GPTParams;
  /** Scalar heads by name (`score` for reward and value models). */
  readonly heads: Record<string, ScalarHead>;
  /** Every trainable tensor by name: the weights, then `heads.<name>.weight`. */
  parameters(): Record<string, Variable>;
  /** Logits (B, T, V) for ids (B, T) int32. */
  forward(ids: Tensor): Tensor;
  /** Final hidden states (B, T, C), after the last LayerNorm. */
  hidden(ids: Tensor): Tensor;
  /** A scalar head's value at every position (B, T). */
  headValues(name: string, ids: Tensor): Tensor;
  /**
   * log p(ids[b, t] | ids[b, <t]) at logits / temperature, (B, T); 0 at t = 0 and where mask (B, T) is 0.
   * Rows are right-padded: causal attention keeps pads from reaching the real positions before them, so
   * every real position equals the row scored alone, on every backend and kernel.
   */
  tokenLogProbs(ids: Tensor, mask?: Tensor, temperature?: number): Tensor;
  /** Mean next-token cross-entropy over targets >= 0 (a scalar). */
  nextTokenLoss(ids: Tensor, targets: Tensor): Tensor;
  /** A decoding session (fresh KV cache) over `rows` rows, for streaming generation. */
  decoder(rows: number): DecodeModel;
  /** Continuations of token prompts of any lengths (KV cache, left-padded batches of at most maxBatch rows), with their log-probs. */
  generate(prompts: readonly (readonly number[])[], options: SampleOptions, random: () => number, maxBatch?: number): Generation;
  /** The reply to each conversation, ending at `<|end|>` (chat template, greedy or sampled). */
  answer(conversations: readonly (readonly ChatTurn[])[], options: AnswerOptions, seed: number): string[];
  /** Free text after each prompt, each starting a new document (after <|eos|>), as pre-training data is laid out. */
  sampleTexts(prompts: readonly string[], options: SampleOptions, seed: number): TextSample[];
  /** Adds a scalar head initialised N(0, std) (default 0.02, HF's initializer_range), seeded by its name. */
  addHead(name: string, seed: number, std?: number): ScalarHead;
  dispose(): void;
}

/** An answer's text: its ids without the end tokens that closed it. */
export const answerText = (tokenizer: Pick<Tokenizer, 'decode'>, ids: readonly number[]): string => tokenizer.decode(ids.filter((id) => id !== END_ID && id !== EOS_ID));

/** Rows per decoding batch when answering: bounds the KV cache. */
const MAX_DECODE_BATCH = 64;
const HEAD_INIT_STD = 0.02;

export function createLanguageModel(
  tf: TF,
  parts: { config: GPTConfig; tokenizer: Tokenizer; weights: GPTParams; heads?: Record<string, ScalarHead> },
): LanguageModel {
  const { config, tokenizer, weights } = parts;
  const heads: Record<string, ScalarHead> = { ...parts.heads };
  const head = (name: string): ScalarHead => {
    const h = heads[name];
    if (!h) throw new Error(`model has no head \`${name}\` (heads: ${Object.keys(heads).join(', ') || 'none'})`);
    return h;
  };
  const model: LanguageModel = {
    tf,
    config,
    tokenizer,
    weights,
    heads,
    parameters: () => ({ ...weights, ...Object.fromEntries(Object.entries(heads).map(([name, h]) => [`heads.${name}.weight`, h.weight])) }),
    forward: (ids) => forward(tf, weights, config, ids),
    hidden: (ids) => hidden(tf, weights, config, ids),
    headValues: (name, ids) =>
      tf.tidy(() => {
        const [B, T] = ids.shape as [number, number];
        const h = tf.reshape(hidden(tf, weights, config, ids), [B * T, config.nEmbd]); // (B*T, C)
        return tf.reshape(tf.matMul(h, head(name).weight, false, true), [B, T]); // (B*T, 1) -> (B, T)
      }),
    tokenLogProbs: (ids, mask, temperature = 1) =>
      tf.tidy(() => {
        const [B, T] = ids.shape as [number, number];
        if (T < 2) return tf.zeros([B, T]);
        const V = config.vocabSize;
        let logits = tf.reshape(tf.slice(forward(tf, weights, config, ids), [0, 0, 0], [B, T - 1, V]), [B * (T - 1), V]); // (B*(T-1), V)
        if (temperature !== 1) logits = tf.div(logits, temperature);
        const targets = tf.reshape(tf.slice(ids, [0, 1], [B, T - 1]), [B * (T - 1)]); // (B*(T-1),)
        const logp = tf.reshape(logProbsFromLogits(tf, logits, targets), [B, T - 1]); // (B, T-1)
        const full = tf.concat([tf.zeros([B, 1]), logp], 1); // (B, T)
        return mask ? tf.mul(full, tf.cast(mask, 'float32')) : full;
      }),
    nextTokenLoss: (ids, targets) => gptLoss(tf, weights, config, ids, targets),
    decoder: (rows) => gptDecoder(tf, weights, config, rows),
    generate: (prompts, options, random, maxBatch) => generateBatched(model.decoder, prompts, options, random, maxBatch),
    answer(conversations, options, seed) {
      const prompts = conversations.map((turns) => Array.from(renderPrompt(tokenizer, turns)));
      const out = model.generate(prompts, { ...options, stopTokens: [END_ID, EOS_ID] }, seededRandom(seed), MAX_DECODE_BATCH);
      return out.tokens.map((ids) => answerText(tokenizer, ids));
    },
    sampleTexts(prompts, options, seed) {
      const encoded = prompts.map((p) => [EOS_ID, ...tokenizer.encode(p)]);
      const out = model.generate(encoded, { ...options, stopTokens: [...options.stopTokens, EOS_ID] }, seededRandom(seed));
      return prompts.map((prompt, i) => ({
        prompt,
        completion: tokenizer.decode(out.tokens[i]!.filter((id) => id !== EOS_ID)),
        tokens: out.tokens[i]!.length,
        finish: out.finish[i]!,
      }));
    },
    addHead(name, seed, std = HEAD_INIT_STD) {
      if (heads[name]) throw new Error(`model already has a head \`${name}\``);
      const weight = tf.tidy(() => tf.variable(tf.randomNormal([1, config.nEmbd], 0, std, 'float32', deriveSeed(seed, `heads.${name}`)), true));
      heads[name] = { weight };
      return heads[name];
    },
    dispose() {
      for (const p of Object.values(model.parameters())) p.dispose();
    },
  };
  return model;
}

/** values (B, T) at each row's last real position lengths[b] - 1: (B,). A reward model's score of a right-padded row. */
export function valuesAtLastToken(tf: TF, values: Tensor, lengths: readonly number[]): Tensor {
  return tf.tidy(() => {
    const [B, T] = values.shape as [number, number];
    if (lengths.length !== B || lengths.some((n) => !Number.isInteger(n) || n < 1 || n > T)) throw new Error(`lengths [${lengths}] do not fit values [${values.shape}]`);
    const flatIndex = tf.tensor1d(lengths.map((n, b) => b * T + n - 1), 'int32');
    return tf.gather(tf.reshape(values, [B * T]), flatIndex); // (B,)
  });
}
