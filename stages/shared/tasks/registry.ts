// The one lookup of task generators and verifiers by name, shared by make-instructions (which writes the
// data) and reasoning fine-tuning (which scores responses with the same verifiers as rewards).
import { PipelineError, suggest } from '../../../engine/errors.ts';
import { verifyStated } from './answer.ts';
import { arithmeticTasks } from './arithmetic.ts';
import { FACT_CHANCES, FACT_FORMATS, FACT_TASK_NAMES, FACT_VERIFIERS } from './facts.ts';
import { formatTasks } from './formats.ts';
import { listTasks } from './lists.ts';
import { reasoningTasks } from './reasoning.ts';
import { stringTasks } from './strings.ts';
import { accept, type Chance, type FormatCheck, type TaskGenerator, type TaskItem, type Verdict, type Verifier } from './types.ts';

/** Generators that need nothing but a seed, by name. Fact generators need a table: see factGenerators(). */
export const TASKS: Record<string, TaskGenerator> = Object.fromEntries(
  [...arithmeticTasks, ...stringTasks, ...listTasks, ...formatTasks, ...reasoningTasks].map((generator) => [generator.name, generator]),
);

/** Every task name in canonical order: the order the stage writes them in. */
export const TASK_NAMES: readonly string[] = [...Object.keys(TASKS), ...FACT_TASK_NAMES];

export const familyOf = (task: string): string => task.split('/')[0] ?? task;

export const FAMILIES: readonly string[] = [...new Set(TASK_NAMES.map(familyOf))];

const VERIFIERS: Record<string, Verifier> = {
  ...Object.fromEntries(Object.values(TASKS).map((generator) => [generator.name, generator.verify])),
  ...FACT_VERIFIERS,
};

const FORMATS: Record<string, FormatCheck> = {
  ...Object.fromEntries(Object.values(TASKS).flatMap((generator) => (generator.format === undefined ? [] : [[generator.name, generator.format]]))),
  ...FACT_FORMATS,
};

const CHANCES: Record<string, Chance> = {
  ...Object.fromEntries(Object.values(TASKS).map((generator) => [generator.name, generator.chance])),
  ...FACT_CHANCES,
};

/**
 * Scores `response` against the item's reference answer with the verifier of `item.task`. Correct only when
 * the response states the answer as its answer: all of it, or its one `Answer:` line (answer.ts).
 */
export function verifyAnswer(item: TaskItem, response: string): Verdict {
  const verify = VERIFIERS[item.task];
  if (verify === undefined) throw errUnknownTask(item.task);
  return verify(item, response);
}

/**
 * Whether `response` states an answer in the task's answer format, right or wrong: the `format` reward.
 * The answer is read as verifyAnswer reads it; a task without a declared format takes any stated text.
 */
export function verifyFormat(item: TaskItem, response: string): Verdict {
  if (VERIFIERS[item.task] === undefined) throw errUnknownTask(item.task);
  const format = FORMATS[item.task] ?? (() => accept());
  return verifyStated(response, (text) => format(item, text));
}

/** The chance a uniformly random answer from the task's answer space is right for `item`. */
export function chanceOf(item: TaskItem): number {
  const chance = CHANCES[item.task];
  if (chance === undefined) throw errUnknownTask(item.task);
  return chance(item);
}

/** Task and family names expanded to task names, in canonical order; absent means every task. */
export function selectTasks(names?: readonly string[]): string[] {
  if (names === undefined) return [...TASK_NAMES];
  const wanted = new Set<string>();
  for (const name of names) {
    const tasks = FAMILIES.includes(name) ? TASK_NAMES.filter((task) => familyOf(task) === name) : TASK_NAMES.filter((task) => task === name);
    if (tasks.length === 0) throw errUnknownTask(name);
    for (const task of tasks) wanted.add(task);
  }
  return TASK_NAMES.filter((task) => wanted.has(task));
}

function errUnknownTask(name: string): PipelineError {
  const known = [...FAMILIES, ...TASK_NAMES];
  const best = suggest(name, known);
  const hint = best === undefined ? `known families: ${FAMILIES.join(', ')}; tasks: ${TASK_NAMES.join(', ')}` : `did you mean \`${best}\`?`;
  return new PipelineError('RECIPE_INVALID', `unknown task \`${name}\``, { hint });
}
