// Rollouts as plain data, what PPO and GRPO learn from: each prompt's sampled answers (G per prompt for
// GRPO), with how each ended, and per-token log-probs and entropies a forward pass assigns them. No tensor
// leaves this module, so the RL maths on rollouts is tested without tensors.
import type { ChatTurn } from '../chat/template.ts';
import { renderPrompt } from '../chat/template.ts';
import type { LanguageModel } from '../model/language-model.ts';
import { sequenceBatch, type Sequence } from '../preference/sequences.ts';
import { END_ID, EOS_ID } from '../tokenizer/special-tokens.ts';

export interface Rollout {
  /** Index of the prompt in the batch it was sampled for. */
  prompt: number;
  sequence: Sequence;
  /** The answer's ids (sequence.ids after promptLength), ending with <|end|> when it ended. */
  answer: number[];
  ended: boolean;
  text: string;
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
  const out = policy.generate(flat, { ...sampling, stopTokens: [END_ID, EOS_ID] }, random, 64);
  return flat.map((promptIds, i) => {
    const answer = out.tokens[i]!;
    return {
      prompt: Math.floor(i / perPrompt),
      sequence: { ids: [...promptIds, ...answer].slice(0, config.blockSize), promptLength: promptIds.length },
      answer,
      ended: out.finish[i] === 'stop',
      text: tokenizer.decode(answer.filter((id) => id !== END_ID && id !== EOS_ID)),
    };
  });
}

/**
 * Per answer token: log p(token) at logits / temperature, and the entropy of that distribution (nats),
 * from one forward pass per batch of right-padded rows; no gradient.
 */
export function scoreAnswerTokens(model: LanguageModel, sequences: readonly Sequence[], temperature: number, batchSize = 64): { logps: number[][]; entropies: number[][] } {
  const { tf } = model;
  const logps: number[][] = [];
  const entropies: number[][] = [];
  for (let start = 0; start < sequences.length; start += batchSize) {
    const part = sequences.slice(start, start + batchSize);
    const batch = sequenceBatch(tf, part);
    const [B, T] = batch.ids.shape as [number, number];
    const [lp, ent] = tf.tidy(() => {
      const logits = tf.div(model.forward(batch.ids), temperature); // (B, T, V)
      const logSoftmax = tf.logSoftmax(logits); // (B, T, V)
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logSoftmax), logSoftmax), -1)); // (B, T)
      // log p of ids[t] is read at position t-1: shift the ids left by one.
      const next = tf.concat([tf.slice(batch.ids, [0, 1], [B, T - 1]), tf.zeros([B, 1], 'int32')], 1); // (B, T)
      const onehot = tf.oneHot(tf.reshape(next, [B * T]) as never, model.config.vocabSize); // (B*T, V)
      const picked = tf.reshape(tf.sum(tf.mul(tf.reshape(logSoftmax, [B * T, -1]), onehot), -1), [B, T]); // (B, T)
      return [picked.arraySync() as number[][], entropy.arraySync() as number[][]];
    });
    tf.dispose([batch.ids, batch.answerMask]);
    part.forEach((s, b) => {
      // Answer token t sits at ids[promptLength + t] and is predicted at position promptLength + t - 1.
      const from = s.promptLength - 1;
      const to = s.ids.length - 1;
      logps.push(lp[b]!.slice(from, to));
      entropies.push(ent[b]!.slice(from, to));
    });
  }
  return { logps, entropies };
}
