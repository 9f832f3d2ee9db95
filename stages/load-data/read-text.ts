// Turns plain text into `{text}` records: one per file, per paragraph (runs of non-blank lines), or per line.
// Paragraph and line modes stream; file mode reads the whole file, as one record needs it all anyway.
import { readFile } from 'node:fs/promises';
import { readLines } from '../shared/data/read-lines.ts';
import type { RowItem } from './row-item.ts';

export type TextUnit = 'file' | 'paragraph' | 'line';

const INVALID_UTF8 = 'not valid UTF-8';
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export async function* readText(file: string, unit: TextUnit, signal?: AbortSignal): AsyncGenerator<RowItem> {
  if (unit === 'file') yield await readWholeFile(file, signal);
  else if (unit === 'line') yield* readTextLines(file, signal);
  else yield* readParagraphs(file, signal);
}

async function readWholeFile(file: string, signal?: AbortSignal): Promise<RowItem> {
  const bytes = await readFile(file, signal === undefined ? {} : { signal });
  try {
    return { line: 1, record: { text: strictDecoder.decode(bytes) } };
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    for await (const { line, text } of readLines(file, signal)) {
      if (text === null) return { line, malformed: INVALID_UTF8 };
    }
    return { line: 1, malformed: INVALID_UTF8 };
  }
}

async function* readTextLines(file: string, signal?: AbortSignal): AsyncGenerator<RowItem> {
  for await (const { line, text } of readLines(file, signal)) {
    yield text === null ? { line, malformed: INVALID_UTF8 } : { line, record: { text } };
  }
}

/** A paragraph with an invalid line is malformed as a whole, reported at that line. */
async function* readParagraphs(file: string, signal?: AbortSignal): AsyncGenerator<RowItem> {
  let lines: string[] = [];
  let startLine = 0;
  let badLine: number | undefined;
  const flush = (): RowItem | undefined => {
    const item: RowItem | undefined =
      badLine !== undefined
        ? { line: badLine, malformed: INVALID_UTF8 }
        : lines.length > 0
          ? { line: startLine, record: { text: lines.join('\n') } }
          : undefined;
    lines = [];
    badLine = undefined;
    return item;
  };
  for await (const { line, text } of readLines(file, signal)) {
    if (text !== null && text.trim() === '') {
      const item = flush();
      if (item) yield item;
      continue;
    }
    if (lines.length === 0 && badLine === undefined) startLine = line;
    if (text === null) badLine ??= line;
    else lines.push(text);
  }
  const item = flush();
  if (item) yield item;
}
