// Streams JSON Lines: one JSON object per line. Blank lines are ignored; anything else that is not an object
// is a malformed row, reported with the parser's own message.
import { readLines } from './read-lines.ts';
import type { RowItem } from './row-item.ts';

export async function* readJsonl(file: string, signal?: AbortSignal): AsyncGenerator<RowItem> {
  for await (const { line, text } of readLines(file, signal)) {
    if (text === null) {
      yield { line, malformed: 'not valid UTF-8' };
      continue;
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, malformed: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
      continue;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      yield { line, record: value as Record<string, unknown> };
    } else {
      yield { line, malformed: `expected a JSON object, got ${jsonKind(value)}` };
    }
  }
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
