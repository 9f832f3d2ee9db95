// What a held-out set scores without reading the questions, per task: always giving the task's most common
// reference answer, and giving a uniformly random answer from the task's answer space. A model's exact match
// means something only above both; `evaluate` prints them beside every model.
import { chanceOf, verifyAnswer } from '../tasks/registry.ts';
import type { TaskItem } from '../tasks/types.ts';
import { score, type Score } from './task-accuracy.ts';

export interface ChanceBaseline {
  /** The task's most common reference answer (the first of equals, in row order). */
  majorityAnswer: string;
  /** Always answering majorityAnswer, scored by the task's verifier. */
  majority: Score;
  /** Expected accuracy of a random valid answer: the mean over items of 1 / |answer space|, exact. */
  random: number;
}

export interface ChanceReport {
  tasks: Record<string, ChanceBaseline>;
  /** Over all items: each task's majority answer for its own items, and the mean random chance. */
  overall: { majority: Score; random: number };
}

export function chanceBaselines(items: readonly TaskItem[]): ChanceReport {
  const byTask = new Map<string, TaskItem[]>();
  for (const item of items) byTask.set(item.task, [...(byTask.get(item.task) ?? []), item]);
  const tasks: Record<string, ChanceBaseline> = {};
  for (const [task, group] of byTask) {
    const majorityAnswer = mostCommon(group.map((item) => item.answer));
    const correct = group.filter((item) => verifyAnswer(item, majorityAnswer).correct).length;
    const random = group.reduce((sum, item) => sum + chanceOf(item), 0) / group.length;
    tasks[task] = { majorityAnswer, majority: score(correct, group.length), random };
  }
  const baselines = Object.values(tasks);
  const total = items.length;
  const majorityCorrect = baselines.reduce((sum, b) => sum + b.majority.correct, 0);
  const random = total === 0 ? 0 : items.reduce((sum, item) => sum + chanceOf(item), 0) / total;
  return { tasks, overall: { majority: score(majorityCorrect, total), random } };
}

/** The most frequent value; the first to reach the top count wins ties, so the result is deterministic. */
function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  let best = values[0] ?? '';
  for (const value of values) {
    const count = (counts.get(value) ?? 0) + 1;
    counts.set(value, count);
    if (count > (counts.get(best) ?? 0)) best = value;
  }
  return best;
}
