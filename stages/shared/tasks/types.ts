// The contract between instruction-data generators and their verifiers: make-instructions writes items
// from generators, and reasoning fine-tuning (GRPO) scores a model's responses with the same verifiers.

export const DIFFICULTIES = ['easy', 'medium', 'hard'] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

/** One generated task: what the model is asked and the canonical reference answer. */
export interface TaskItem {
  /** `family/name`, e.g. `arithmetic/add`; names the verifier that checks responses. */
  task: string;
  instruction: string;
  /** The data the instruction works on, when it is kept apart from the instruction (Alpaca style). */
  input?: string;
  /** Canonical reference answer; the verifier accepts it and its reasonable variants. */
  answer: string;
  /**
   * A worked solution: the whole assistant response, step by step, ending with the marked answer line
   * (markAnswer). Only tasks that teach their working write one (the reasoning family).
   */
  solution?: string;
}

export interface Verdict {
  correct: boolean;
  /** Why a response was rejected (or how it was read), for logs and debugging rewards. */
  reason?: string;
}

/** Checks a free-form response against an item's reference answer. */
export type Verifier = (item: TaskItem, response: string) => Verdict;

/**
 * Whether a stated answer (the text answer.ts reads out of a response) is in the task's answer format,
 * right or wrong: a plain integer, one letter, an expression over the given numbers... The `format` reward
 * of RL stages scores it; every answer the verifier accepts must pass it.
 */
export type FormatCheck = (item: TaskItem, stated: string) => Verdict;

/** A seeded task source: the same `random` stream gives the same item on every machine. */
export interface TaskGenerator {
  family: string;
  /** `family/name`, unique across all families. */
  name: string;
  generate(random: () => number, difficulty?: Difficulty): TaskItem;
  verify: Verifier;
  /** The task's answer format; absent: any stated text is in format (free-text answers). */
  format?: FormatCheck;
  /** The chance that a uniformly random answer from the task's answer space (documented at the task) is right. */
  chance: Chance;
}

/** Probability in [0, 1] that a random valid answer to `item` is correct: 1 / the size of its answer space. */
export type Chance = (item: TaskItem) => number;

/** Uniform integer in [min, max], both inclusive. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: () => number, values: readonly T[]): T {
  const value = values[Math.floor(random() * values.length)];
  if (value === undefined) throw new Error('pick from an empty list');
  return value;
}

/** Integer with exactly `digits` decimal digits (1 digit includes 0). */
export function randomDigits(random: () => number, digits: number): number {
  return digits <= 1 ? randomInt(random, 0, 9) : randomInt(random, 10 ** (digits - 1), 10 ** digits - 1);
}

export const accept = (reason?: string): Verdict => (reason === undefined ? { correct: true } : { correct: true, reason });
export const reject = (reason: string): Verdict => ({ correct: false, reason });
