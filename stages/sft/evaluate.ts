// Held-out exact-match accuracy: the model answers each task row from the chat prompt (KV cache,
// prompts batched by length), and the task's own verifier judges the answer, as RL rewards will.
import { seededRandom } from '../../engine/rng.ts';
import { renderPrompt } from '../shared/chat-template.ts';
import { generateGrouped } from '../shared/model/generate-grouped.ts';
import type { GPTConfig, GPTParams } from '../shared/model/gpt.ts';
import type { SampleOptions } from '../shared/sample.ts';
import { TASK_NAMES, verifyAnswer } from '../shared/tasks/registry.ts';
import type { TaskItem } from '../shared/tasks/types.ts';
import type { TF } from '../shared/tf.ts';
import type { Tokenizer } from '../shared/tokenizer/bpe.ts';
import { END_ID, EOS_ID } from '../shared/tokenizer/special-tokens.ts';
import type { ChatRow } from './sft-data.ts';

export interface Score {
  correct: number;
  total: number;
  accuracy: number;
}

export interface EvalReport {
  overall: Score;
  tasks: Record<string, Score>;
  examples: { task: string; prompt: string; response: string; reference: string; correct: boolean }[];
}

/** Rows per decoding batch: bounds the KV cache. */
const MAX_DECODE_BATCH = 64;
const REPORTED_EXAMPLES = 8;

/** A scorable row: a known task with instruction and reference output, prompted by the turns before its last answer. */
function taskOf(chat: ChatRow): { item: TaskItem; prompt: ChatRow['turns'] } | undefined {
  const { task, instruction, input, output } = chat.row;
  if (typeof task !== 'string' || !TASK_NAMES.includes(task) || typeof instruction !== 'string' || typeof output !== 'string') return undefined;
  const lastAnswer = chat.turns.findLastIndex((t) => t.role === 'assistant');
  const item: TaskItem = { task, instruction, answer: output, ...(typeof input === 'string' ? { input } : {}) };
  return { item, prompt: chat.turns.slice(0, lastAnswer) };
}

const score = (correct: number, total: number): Score => ({ correct, total, accuracy: total === 0 ? 0 : correct / total });

export function evaluateTasks(
  tf: TF,
  params: GPTParams,
  config: GPTConfig,
  tokenizer: Tokenizer,
  rows: readonly ChatRow[],
  options: Omit<SampleOptions, 'stopTokens'> & { limit: number },
  seed: number,
): EvalReport {
  const items = rows.flatMap((r) => taskOf(r) ?? []).slice(0, options.limit);
  const prompts = items.map((it) => Array.from(renderPrompt(tokenizer, it.prompt)));
  const out = generateGrouped(tf, params, config, prompts, { ...options, stopTokens: [END_ID, EOS_ID] }, seededRandom(seed), MAX_DECODE_BATCH);
  const responses = out.tokens.map((ids) => tokenizer.decode(ids.filter((id) => id !== END_ID && id !== EOS_ID)));
  const counts: Record<string, { correct: number; total: number }> = {};
  const examples: EvalReport['examples'] = [];
  let correct = 0;
  items.forEach(({ item, prompt }, i) => {
    const verdict = verifyAnswer(item, responses[i]!);
    const c = (counts[item.task] ??= { correct: 0, total: 0 });
    c.total += 1;
    if (verdict.correct) {
      c.correct += 1;
      correct += 1;
    }
    if (examples.length < REPORTED_EXAMPLES) {
      examples.push({ task: item.task, prompt: prompt.at(-1)?.content ?? '', response: responses[i]!, reference: item.answer, correct: verdict.correct });
    }
  });
  const tasks = Object.fromEntries(Object.entries(counts).map(([task, c]) => [task, score(c.correct, c.total)]));
  return { overall: score(correct, items.length), tasks, examples };
}
