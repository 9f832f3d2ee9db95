// pass@k of a model on held-out task rows: n answers sampled per prompt (temperature > 0), each judged by the
// task's verifier, turned into the unbiased pass@k of Chen et al. 2021 per task. Greedy exact match says what
// the model answers; pass@k says how often the right answer is among what it might answer, which RL exploits.
import type { LanguageModel } from '../model/language-model.ts';
import { meanPassAtK } from '../rl/pass-at-k.ts';
import { verifyAnswer } from '../tasks/registry.ts';
import type { ScorableItem } from './task-accuracy.ts';

/** k runs 1..min(MAX_K, samples). */
export const MAX_K = 8;

export interface PassAtKReport {
  samples: number;
  temperature: number;
  /** pass@k for k = 1..min(MAX_K, samples), the mean over the task's prompts. */
  tasks: Record<string, number[]>;
  overall: number[];
}

export interface PassAtKOptions {
  samples: number;
  temperature: number;
  maxTokens: number;
}

export function sampledPassAtK(model: LanguageModel, items: readonly ScorableItem[], options: PassAtKOptions, seed: number): PassAtKReport {
  const { samples, temperature, maxTokens } = options;
  if (!Number.isInteger(samples) || samples < 1 || !(temperature > 0)) {
    throw new RangeError(`pass@k needs samples >= 1 and temperature > 0, got samples ${samples}, temperature ${temperature}`);
  }
  // Every prompt `samples` times in a row; rows of equal prompts share decoding batches.
  const conversations = items.flatMap(({ prompt }) => Array.from({ length: samples }, () => prompt));
  const responses = model.answer(conversations, { maxTokens, temperature, topK: 0, topP: 1 }, seed);
  const correctByTask = new Map<string, number[]>();
  items.forEach(({ item }, i) => {
    let correct = 0;
    for (let s = 0; s < samples; s++) if (verifyAnswer(item, responses[i * samples + s]!).correct) correct += 1;
    correctByTask.set(item.task, [...(correctByTask.get(item.task) ?? []), correct]);
  });
  const tasks = Object.fromEntries([...correctByTask].map(([task, counts]) => [task, meanPassAtK(counts, samples, MAX_K)]));
  return { samples, temperature, tasks, overall: meanPassAtK([...correctByTask.values()].flat(), samples, MAX_K) };
}
