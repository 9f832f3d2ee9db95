// Applies load-data's row policy to one file's rows: malformed rows fail or are skipped and counted,
// `fields` selects columns, blank records are dropped, and the rest are written in canonical form.
import { errDataInvalid } from '../../engine/errors.ts';
import type { Logger } from '../../engine/stage.ts';
import { canonicalJson, isEmptyRecord } from '../shared/data/canonical-record.ts';
import { SKIP_MALFORMED_HINT } from '../shared/data/jsonl.ts';
import type { LineWriter } from '../shared/data/line-writer.ts';
import type { RowItem } from './row-item.ts';

export interface FileCounts {
  records: number;
  skipped: number;
  empty: number;
}

export interface LoadFileOptions {
  /** The file as the user should see it: relative to the recipe folder. */
  relFile: string;
  onMalformed: 'error' | 'skip';
  fields?: readonly string[];
  /** Stop after writing this many records. */
  limit: number;
  writer: LineWriter;
  /** Receives each written record's source line (engine/provenance.ts), in step with `writer`. */
  sources: LineWriter;
  log: Logger;
  signal: AbortSignal;
}

export async function loadFile(rows: AsyncIterable<RowItem>, options: LoadFileOptions): Promise<FileCounts> {
  const { relFile, fields, writer, signal } = options;
  const counts: FileCounts = { records: 0, skipped: 0, empty: 0 };
  let firstBadLine = Infinity;
  let seen = 0;
  for await (const item of rows) {
    if (++seen % 1024 === 0) signal.throwIfAborted();
    let record: Record<string, unknown> | undefined;
    let problem: string | undefined;
    if ('malformed' in item) {
      if (item.fatal) throw errDataInvalid(relFile, item.line, item.malformed, 'fix the header row; every row depends on it');
      problem = item.malformed;
    } else if (fields === undefined) {
      record = item.record;
    } else {
      const source = item.record;
      const missing = fields.find((field) => !Object.hasOwn(source, field) || source[field] === undefined);
      if (missing === undefined) record = Object.fromEntries(fields.map((field) => [field, source[field]]));
      else problem = `missing field \`${missing}\``;
    }
    if (record === undefined) {
      if (options.onMalformed === 'error') throw errDataInvalid(relFile, item.line, problem ?? 'malformed row', SKIP_MALFORMED_HINT);
      counts.skipped += 1;
      firstBadLine = Math.min(firstBadLine, item.line);
      continue;
    }
    if (isEmptyRecord(record)) {
      counts.empty += 1;
      continue;
    }
    await writer.write(canonicalJson(record));
    await options.sources.write(JSON.stringify({ file: relFile, line: item.line }));
    counts.records += 1;
    if (counts.records >= options.limit) break;
  }
  if (counts.skipped > 0) {
    const rows = counts.skipped === 1 ? 'row' : 'rows';
    options.log.warn(`${relFile}: skipped ${counts.skipped} malformed ${rows} (first at line ${firstBadLine})`);
  }
  return counts;
}
