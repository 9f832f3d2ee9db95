// Held-out exact-match accuracy: a model answers each task row from its chat prompt, and the task's own
// verifier judges the answer, as RL rewards will. Used by `sft` after training and by `evaluate` on any model.
import type { AnswerOptions, LanguageModel } from '../model/language-model.ts';
import { referenceOf } from '../tasks/record.ts';
import { TASK_NAMES, verifyAnswer } from '../tasks/registry.ts';
import type { TaskItem } from '../tasks/types.ts';
import type { ChatRow } from '../chat/rows.ts';

export interface Score {
  correct: number;
  total: number;
  accuracy: number;
}

export interface TaskAnswer {
  task: string;
  /** The last user turn of the prompt. */
  prompt: string;
  response: string;
  reference: string;
  correct: boolean;
}

export interface EvalReport {
  overall: Score;
  tasks: Record<string, Score>;
  /** Every scored row's answer, in row order, so two models' answers to the same prompts line up. */
  answers: TaskAnswer[];
}

export interface ScorableItem {
  item: TaskItem;
  /** The turns before the row's last answer: what the model is asked. */
  prompt: ChatRow['turns'];
}

/** A scorable row: a known task with instruction and reference answer, prompted by the turns before its last answer. */
export function taskOf(chat: ChatRow): ScorableItem | undefined {
  const { task, instruction, input, output, answer } = chat.row;
  if (typeof task !== 'string' || !TASK_NAMES.includes(task) || typeof instruction !== 'string' || typeof output !== 'string') return undefined;
  const lastAnswer = chat.turns.findLastIndex((t) => t.role === 'assistant');
  const item: TaskItem = { task, instruction, answer: referenceOf({ answer, output }), ...(typeof input === 'string' ? { input } : {}) };
  return { item, prompt: chat.turns.slice(0, lastAnswer) };
}

/** The first `limit` scorable rows, in row order: every score of one evaluation is over these. */
export function scorableItems(rows: readonly ChatRow[], limit: number): ScorableItem[] {
  return rows.flatMap((r) => taskOf(r) ?? []).slice(0, limit);
}

export const score = (correct: number, total: number): Score => ({ correct, total, accuracy: total === 0 ? 0 : correct / total });

export function evaluateTasks(
  model: LanguageModel,
  rows: readonly ChatRow[],
  options: AnswerOptions & { limit: number },
  seed: number,
): EvalReport {
  const items = scorableItems(rows, options.limit);
  const responses = model.answer(items.map((it) => it.prompt), options, seed);
  const counts: Record<string, { correct: number; total: number }> = {};
  const answers = items.map(({ item, prompt }, i): TaskAnswer => {
    const { correct } = verifyAnswer(item, responses[i]!);
    const c = (counts[item.task] ??= { correct: 0, total: 0 });
    c.total += 1;
    if (correct) c.correct += 1;
    return { task: item.task, prompt: prompt.at(-1)?.content ?? '', response: responses[i]!, reference: item.answer, correct };
  });
  const tasks = Object.fromEntries(Object.entries(counts).map(([task, c]) => [task, score(c.correct, c.total)]));
  return { overall: score(answers.filter((a) => a.correct).length, answers.length), tasks, answers };
}
