// Rollouts as plain data, what PPO and GRPO learn from: each prompt's sampled answers (G per prompt for
// GRPO), with how each ended, the sampler's per-token log-probs and entropies, and those a forward pass
// assigns them. No tensor leaves this module, so the RL maths on rollouts is tested without tensors.
import type { ChatTurn } from '../chat/template.ts';
import { renderPrompt } from '../chat/template.ts';
import { answerText, type LanguageModel } from '../model/language-model.ts';
import { inBatches, type Sequence } from '../preference/sequences.ts';
import { END_ID, EOS_ID } from '../tokenizer/special-tokens.ts';

export interface Rollout {
  /** Index of the prompt in the batch it was sampled for. */
  prompt: number;
  sequence: Sequence;
  /** The answer's ids (sequence.ids after promptLength), ending with <|end|> when it ended. */
  answer: number[];
  ended: boolean;
  text: string;
  /**
   * log p of each answer token and the entropy of its distribution, at the sampling temperature, from
   * the logits the sampler drew it from (the KV-cache decode): a forward pass over the finished sequence
   * (scoreAnswerTokens) gives the same numbers to float rounding only, as language-model.test.ts checks.
   */
  logProbs: number[];
  entropies: number[];
}

export interface RolloutSampling {
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
}

/** `perPrompt` answers to each conversation, sampled from `policy` (prompts must leave room to answer). */
export function sampleRollouts(policy: LanguageModel, prompts: readonly (readonly ChatTurn[])[], perPrompt: number, sampling: RolloutSampling, random: () => number): Rollout[] {
  const { tokenizer, config } = policy;
  const encoded = prompts.map((turns) => Array.from(renderPrompt(tokenizer, turns)));
  const flat = encoded.flatMap((ids) => Array.from({ length: perPrompt }, () => ids));
  const out = policy.generate(flat, { ...sampling, stopTokens: [END_ID, EOS_ID], logProbs: true }, random, 64);
  return flat.map((promptIds, i) => {
    const answer = out.tokens[i]!;
    return {
      prompt: Math.floor(i / perPrompt),
      sequence: { ids: [...promptIds, ...answer].slice(0, config.blockSize), promptLength: promptIds.length },
      answer,
      ended: out.finish[i] === 'stop',
      text: answerText(tokenizer, answer),
      logProbs: out.logProbs![i]!,
      entropies: out.entropies![i]!,
    };
  });
}

/**
 * Per answer token: log p(token) at logits / temperature, and the entropy of that distribution (nats),
 * from one forward pass per batch of right-padded rows; no gradient. Only positions from the batch's
 * shortest prompt on predict answer tokens, so the softmax work starts there (the prompt is often half a row).
 */
export function scoreAnswerTokens(model: LanguageModel, sequences: readonly Sequence[], temperature: number, batchSize = 64): { logps: number[][]; entropies: number[][] } {
  const { tf } = model;
  const V = model.config.vocabSize;
  const rows = inBatches(
    tf,
    sequences,
    (batch, part) => {
      const [B, T] = batch.ids.shape as [number, number];
      // Positions from..T-2 predict ids[from+1..T-1]; answer token t of a row sits at ids[promptLength + t].
      const from = Math.min(...part.map((s) => s.promptLength)) - 1;
      const n = T - 1 - from;
      const next = new Int32Array(B * n); // flat index of each predicted id in the (B*n*V) log-softmax
      part.forEach((s, b) => {
        for (let t = 0; t < n; t++) next[b * n + t] = (b * n + t) * V + (s.ids[from + 1 + t] ?? 0);
      });
      const [lp, ent] =
        n <= 0
          ? [part.map(() => []), part.map(() => [])]
          : tf.tidy(() => {
              const logits = tf.div(tf.slice(model.forward(batch.ids), [0, from, 0], [B, n, V]), temperature); // (B, n, V)
              const logSoftmax = tf.logSoftmax(logits); // (B, n, V)
              const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logSoftmax), logSoftmax), -1)); // (B, n)
              const picked = tf.reshape(tf.gather(tf.reshape(logSoftmax, [B * n * V]), tf.tensor1d(next, 'int32')), [B, n]); // (B, n)
              return [picked.arraySync() as number[][], entropy.arraySync() as number[][]];
            });
      return part.map((s, b) => ({
        logp: lp[b]!.slice(s.promptLength - 1 - from, s.ids.length - 1 - from),
        entropy: ent[b]!.slice(s.promptLength - 1 - from, s.ids.length - 1 - from),
      }));
    },
    batchSize,
  );
  return { logps: rows.map((r) => r.logp), entropies: rows.map((r) => r.entropy) };
}
