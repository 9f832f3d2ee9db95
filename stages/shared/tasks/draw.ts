// Draws distinct items from a generator into held-out, train and RL-prompt splits that never share an item
// key, held-out first and prompts last, so no split moves when only a later one's count changes. No answer may
// fill more than a quarter of a split, so always giving one answer never scores above 25%.
import { itemKey } from './record.ts';
import type { Difficulty, TaskGenerator, TaskItem } from './types.ts';

export interface DrawnSplits {
  heldOut: TaskItem[];
  train: TaskItem[];
  /** Fresh prompts for RL, seen by neither the fine-tuning data nor the evaluation. */
  prompts: TaskItem[];
}

/** Draws per wanted item before giving up: small item spaces end with fewer items, not an endless loop. */
const ATTEMPTS_PER_ITEM = 20;
const EXTRA_ATTEMPTS = 1000;
/** The largest share of a split one reference answer may take. */
export const MAX_ANSWER_SHARE = 0.25;

export function drawSplits(generator: TaskGenerator, random: () => number, difficulty: Difficulty, counts: { heldOut: number; train: number; prompts?: number }): DrawnSplits {
  const seen = new Set<string>();
  const take = (wanted: number): TaskItem[] => {
    const items: TaskItem[] = [];
    // Generators draw answers evenly, but a small split can still pile up on one by chance (8 of 20 is likely
    // enough at five answers); a task with under four possible answers ends short, like a small item space.
    const cap = Math.max(1, Math.floor(wanted * MAX_ANSWER_SHARE));
    const perAnswer = new Map<string, number>();
    for (let budget = wanted * ATTEMPTS_PER_ITEM + EXTRA_ATTEMPTS; items.length < wanted && budget > 0; budget--) {
      const item = generator.generate(random, difficulty);
      const key = itemKey(item);
      const count = perAnswer.get(item.answer) ?? 0;
      if (seen.has(key) || count >= cap) continue;
      seen.add(key);
      perAnswer.set(item.answer, count + 1);
      items.push(item);
    }
    return items;
  };
  const heldOut = take(counts.heldOut);
  const train = take(counts.train);
  return { heldOut, train, prompts: take(counts.prompts ?? 0) };
}

/** In-place Fisher-Yates shuffle driven by `random`. */
export function shuffle<T>(values: T[], random: () => number): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j] as T, values[i] as T];
  }
  return values;
}
