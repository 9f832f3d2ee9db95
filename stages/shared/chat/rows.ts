// JSONL instruction rows as conversations in the chat template: what SFT trains on and what
// evaluation answers. Malformed lines fail with file:line, or are skipped and counted.
import { readFile } from 'node:fs/promises';
import { errDataInvalid, errorText } from '../../../engine/errors.ts';
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
  for (const file of files) {
    options.signal.throwIfAborted();
    const name = options.displayName(file);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      try {
        let row: unknown;
        try {
          row = JSON.parse(text);
        } catch (error) {
          throw errDataInvalid(name, i + 1, `not valid JSON: ${errorText(error)}`);
        }
        rows.push({ row: row as Record<string, unknown>, turns: parseRow(row, name, i + 1) });
      } catch (error) {
        if (options.onMalformed === 'error') throw error;
        skipped += 1;
      }
    });
  }
  return { rows, skipped };
}
