// The line format of instruction data: Alpaca-style fields plus chat messages, so SFT can use either
// view, and the conversion back to a TaskItem so a later stage can verify responses to the same items.
import type { TaskItem } from './types.ts';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface InstructionRecord {
  task: string;
  instruction: string;
  input?: string;
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

export function toInstructionRecord(item: TaskItem): InstructionRecord {
  return {
    task: item.task,
    instruction: item.instruction,
    ...(item.input === undefined ? {} : { input: item.input }),
    output: item.answer,
    messages: [
      { role: 'user', content: promptOf(item) },
      { role: 'assistant', content: item.answer },
    ],
  };
}

export function taskItemFromRecord(record: Pick<InstructionRecord, 'task' | 'instruction' | 'input' | 'output'>): TaskItem {
  const item: TaskItem = { task: record.task, instruction: record.instruction, answer: record.output };
  if (record.input !== undefined) item.input = record.input;
  return item;
}
