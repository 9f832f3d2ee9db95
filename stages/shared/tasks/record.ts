// The line format of instruction data: Alpaca-style fields plus chat messages, so SFT can use either
// view, and the conversion back to a TaskItem so a later stage can verify responses to the same items.
// The taught response (`output`, the assistant turn) states the answer on an `Answer:` line, the form the
// verifiers read (answer.ts); `answer` keeps the bare reference.
import { ANSWER_MARKER, markAnswer } from './answer.ts';
import type { TaskItem } from './types.ts';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface InstructionRecord {
  task: string;
  instruction: string;
  input?: string;
  /** The reference answer, bare: what the verifier compares with. */
  answer: string;
  /** The response SFT teaches: `Answer: <answer>`, or the item's worked solution when asked for (toInstructionRecord). */
  output: string;
  messages: ChatMessage[];
}

/** What the user turn says: the instruction, then the input after a blank line when there is one. */
export function promptOf(item: Pick<TaskItem, 'instruction' | 'input'>): string {
  return item.input === undefined ? item.instruction : `${item.instruction}\n\n${item.input}`;
}

/** The canonical identity of an item: two items with the same key count as the same item. */
export function itemKey(item: Pick<TaskItem, 'task' | 'instruction' | 'input'>): string {
  return JSON.stringify([item.task, item.instruction, item.input ?? null]);
}

/** `worked`: teach the item's worked solution, where it has one, instead of the bare marked answer. */
export function toInstructionRecord(item: TaskItem, options: { worked?: boolean } = {}): InstructionRecord {
  const output = options.worked === true && item.solution !== undefined ? item.solution : markAnswer(item.answer);
  return {
    task: item.task,
    instruction: item.instruction,
    ...(item.input === undefined ? {} : { input: item.input }),
    answer: item.answer,
    output,
    messages: [
      { role: 'user', content: promptOf(item) },
      { role: 'assistant', content: output },
    ],
  };
}

/**
 * The reference answer of a row: its `answer` field, else its `output` without a leading `Answer:` marker
 * (rows written before `answer` existed, or by hand, hold the bare answer there).
 */
export function referenceOf(record: { answer?: unknown; output: string }): string {
  if (typeof record.answer === 'string') return record.answer;
  const marked = new RegExp(`^\\s*${ANSWER_MARKER}[ \\t]*\\n?`, 'i').exec(record.output);
  return marked === null ? record.output : record.output.slice(marked[0].length);
}

export function taskItemFromRecord(record: Pick<InstructionRecord, 'task' | 'instruction' | 'input' | 'output'> & { answer?: string }): TaskItem {
  const item: TaskItem = { task: record.task, instruction: record.instruction, answer: referenceOf(record) };
  if (record.input !== undefined) item.input = record.input;
  return item;
}
