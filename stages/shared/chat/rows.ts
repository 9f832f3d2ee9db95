// JSONL instruction rows as conversations in the chat template: what SFT trains on and what
// evaluation answers. Malformed lines fail with file:line, or are skipped and counted.
import { readJsonl, SKIP_MALFORMED_HINT } from '../data/jsonl.ts';
import { parseRow, type ChatTurn } from './template.ts';

export interface ChatRow {
  /** The parsed JSON line, for fields beyond the conversation (`task`, `instruction`, `output`). */
  row: Record<string, unknown>;
  turns: ChatTurn[];
}

export interface ReadOptions {
  onMalformed: 'error' | 'skip';
  /** How a file is named in errors (relative to the recipe). */
  displayName(file: string): string;
  signal: AbortSignal;
}

/** Every non-blank JSONL line of `files` as a conversation; malformed lines throw or are skipped and counted. */
export async function readChatRows(files: readonly string[], options: ReadOptions): Promise<{ rows: ChatRow[]; skipped: number }> {
  const rows: ChatRow[] = [];
  let skipped = 0;
  const skip = () => void (skipped += 1);
  for (const file of files) {
    options.signal.throwIfAborted();
    const name = options.displayName(file);
    const lines = readJsonl(file, { onMalformed: options.onMalformed, onSkip: skip, signal: options.signal, displayName: name, hint: SKIP_MALFORMED_HINT });
    for await (const { line, record } of lines) {
      let turns: ChatTurn[];
      try {
        turns = parseRow(record, name, line);
      } catch (error) {
        if (options.onMalformed === 'error') throw error;
        skip();
        continue;
      }
      rows.push({ row: record, turns });
    }
  }
  return { rows, skipped };
}
