// (prompt, answer) conversations as model input: the chat template's prompt, the answer and its <|end|>,
// right-padded into one (B, T) batch with the mask of answer tokens and each row's length. Right padding
// keeps every real position exactly as the row alone (causal attention), so reward, value and log-prob
// scoring batch rows of any lengths on the fused kernels.
import type { Tensor, TF } from '../backend/types.ts';
import type { LanguageModel } from '../model/language-model.ts';
import { renderPrompt, type ChatTurn } from '../chat/template.ts';
import type { Tokenizer } from '../tokenizer/bpe.ts';
import { END_ID, PAD_ID } from '../tokenizer/special-tokens.ts';

export interface Sequence {
  /** Prompt then answer ids, at most blockSize long. */
  ids: number[];
  /** Where the answer starts: ids[promptLength..] are what the model said. */
  promptLength: number;
}

/** The conversation's prompt, then `answer` and `<|end|>` (or `answerIds` as generated); cut to blockSize from the end of the answer. */
export function chatSequence(tokenizer: Pick<Tokenizer, 'encode'>, prompt: readonly ChatTurn[], answer: string | readonly number[], blockSize: number): Sequence {
  const promptIds = Array.from(renderPrompt(tokenizer, prompt));
  const answerIds = typeof answer === 'string' ? [...tokenizer.encode(answer), END_ID] : [...answer];
  if (promptIds.length >= blockSize) throw new Error(`prompt of ${promptIds.length} tokens leaves no room to answer in a ${blockSize}-token context`);
  return { ids: [...promptIds, ...answerIds].slice(0, blockSize), promptLength: promptIds.length };
}

export interface SequenceBatch {
  ids: Tensor; // (B, T) int32, <|pad|> after each row
  /** (B, T) float32: 1 at answer positions (t >= promptLength, t < length). */
  answerMask: Tensor;
  lengths: number[];
}

export function sequenceBatch(tf: TF, sequences: readonly Sequence[]): SequenceBatch {
  const T = Math.max(...sequences.map((s) => s.ids.length));
  const B = sequences.length;
  const ids = new Int32Array(B * T).fill(PAD_ID);
  const mask = new Float32Array(B * T);
  sequences.forEach((s, b) => {
    ids.set(s.ids, b * T);
    mask.fill(1, b * T + s.promptLength, b * T + s.ids.length);
  });
  return { ids: tf.tensor2d(ids, [B, T], 'int32'), answerMask: tf.tensor2d(mask, [B, T], 'float32'), lengths: sequences.map((s) => s.ids.length) };
}

/**
 * `score` over the sequences in right-padded batches of at most `batchSize` rows, results in row order.
 * `score` gets the batch (disposed after it returns) and the rows in it, and returns one result per row.
 */
export function inBatches<R>(tf: TF, sequences: readonly Sequence[], score: (batch: SequenceBatch, rows: readonly Sequence[]) => R[], batchSize = 64): R[] {
  const out: R[] = [];
  for (let start = 0; start < sequences.length; start += batchSize) {
    const rows = sequences.slice(start, start + batchSize);
    const batch = sequenceBatch(tf, rows);
    try {
      out.push(...score(batch, rows));
    } finally {
      tf.dispose([batch.ids, batch.answerMask]);
    }
  }
  return out;
}

/** Chosen rows then rejected rows of B pairs, in one right-padded batch of 2B rows. The caller disposes it. */
export function pairBatch(tf: TF, pairs: readonly { chosen: Sequence; rejected: Sequence }[]): SequenceBatch {
  return sequenceBatch(tf, [...pairs.map((e) => e.chosen), ...pairs.map((e) => e.rejected)]);
}

/**
 * Each row's log-prob of its answer under `model` (B,): the sum over answer tokens, or their mean with
 * `average` (IPO, length-normalised variants). Differentiable.
 */
export function answerLogProbs(model: LanguageModel, batch: SequenceBatch, average = false): Tensor {
  const { tf } = model;
  return tf.tidy(() => {
    const sums = tf.sum(model.tokenLogProbs(batch.ids, batch.answerMask), 1); // (B,)
    return average ? tf.div(sums, tf.maximum(tf.sum(batch.answerMask, 1), 1)) : sums;
  });
}
