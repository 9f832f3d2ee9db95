// Streams CSV/TSV through csv-parse: the first row names the columns, each later row becomes an object.
// Line numbers are tracked here because csv-parse reports where a record ends and miscounts CRLF in quotes.
import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import type { RowItem } from './row-item.ts';

export async function* readCsv(
  file: string,
  options: { delimiter: string; skipMalformed: boolean; signal?: AbortSignal },
): AsyncGenerator<RowItem> {
  let prevEnd = 0;
  let prevEmpty = 0;
  const parseErrors: RowItem[] = [];
  // on_record runs in parse order, so a FIFO of start lines pairs up with the records as they come out.
  const startLines: number[] = [];
  const parser = parse({
    delimiter: options.delimiter,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: options.skipMalformed,
    on_record: (fields, info) => {
      const line = prevEnd + 1 + (info.empty_lines - prevEmpty);
      prevEnd = line + fields.reduce((n, field) => n + countLineBreaks(field), 0);
      prevEmpty = info.empty_lines;
      startLines.push(line);
      return fields;
    },
  });
  parser.on('skip', (error: CsvError) => {
    parseErrors.push(csvErrorItem(error));
    prevEnd = lineOf(error) ?? prevEnd;
    prevEmpty = typeof error.empty_lines === 'number' ? error.empty_lines : prevEmpty;
  });
  const input = createReadStream(file, options.signal === undefined ? {} : { signal: options.signal });
  input.on('error', (error) => parser.destroy(error));
  const rows = input.pipe(parser);

  let header: string[] | undefined;
  try {
    for await (const fields of rows as AsyncIterable<string[]>) {
      const line = startLines.shift() ?? prevEnd;
      yield* parseErrors.splice(0);
      if (header === undefined) {
        const checked = checkHeader(fields, line);
        if (!Array.isArray(checked)) {
          yield checked;
          return;
        }
        header = checked;
        continue;
      }
      if (fields.length !== header.length) {
        yield { line, malformed: `expected ${header.length} columns (as in the header), got ${fields.length}` };
        continue;
      }
      yield { line, record: Object.fromEntries(header.map((name, i) => [name, fields[i] ?? ''])) };
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    yield* parseErrors.splice(0);
    yield csvErrorItem(error);
    return;
  } finally {
    input.destroy();
  }
  yield* parseErrors.splice(0);
}

/** Column names, or why the header row cannot name the columns. */
function checkHeader(fields: string[], line: number): string[] | RowItem {
  const seen = new Set<string>();
  for (const name of fields) {
    if (seen.has(name)) return { line, malformed: `duplicate column \`${name}\` in the header row`, fatal: true };
    seen.add(name);
  }
  return fields;
}

function csvErrorItem(error: CsvError): RowItem {
  return { line: lineOf(error) ?? 1, malformed: `invalid CSV: ${error.message}` };
}

function lineOf(error: CsvError): number | undefined {
  return typeof error.lines === 'number' ? error.lines : undefined;
}

function countLineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}
