// What an RL stage hands its reward functions, and what it gets back: one number per answer, per reward,
// so the stage can weight and sum them and log each one on its own (`rewards/<name>/mean`, as TRL does).
import type { TaskItem } from '../tasks/types.ts';

/** One sampled answer to one prompt, as a reward sees it. */
export interface Completion {
  /** The task item the prompt was made from: its verifier and reference answer score the response. */
  item: TaskItem;
  /** The prompt as text (the user turn, before the chat template). */
  prompt: string;
  /** The answer as text, without the end token. */
  response: string;
  /** True when the answer hit maxTokens before its end token. */
  truncated: boolean;
  /** Tokens in the answer. */
  tokens: number;
  /** The most tokens an answer may have (the stage's completion length). */
  maxTokens: number;
}

export interface RewardFunction {
  /** Unique within a stage; defaults to the reward's type. */
  name: string;
  /** Multiplies the score in the summed reward; defaults to 1. */
  weight: number;
  /** One finite number per completion, in batch order. */
  score(batch: readonly Completion[], signal?: AbortSignal): Promise<number[]>;
  /** Releases what the reward holds (none of the built-in types holds anything). */
  close?(): Promise<void>;
}
