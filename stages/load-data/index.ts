// load-data: reads text, JSONL, CSV/TSV and Parquet files into one canonical JSONL file of records,
// so every later stage reads a single well-defined format whatever the corpus came as.
import { writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PipelineError } from '../../engine/errors.ts';
import { sourcesFileFor } from '../../engine/provenance.ts';
import { defineStage } from '../../engine/stage.ts';
import { detectFormat, type FileFormat, type FileReading } from './detect-format.ts';
import { openLineWriter } from '../shared/data/line-writer.ts';
import { loadFile, type FileCounts } from './load-file.ts';
import { readCsv } from './read-csv.ts';
import { readJsonl } from '../shared/data/jsonl.ts';
import { readParquet } from './read-parquet.ts';
import { readText } from './read-text.ts';
import type { RowItem } from './row-item.ts';
import { loadDataSchema, type LoadDataParams } from './schema.ts';

const RECORDS_FILE = 'records.jsonl';
const STATS_FILE = 'stats.json';

/** What stats.json holds; file paths are relative to the recipe folder, with forward slashes. */
export interface LoadStats extends FileCounts {
  files: Array<FileCounts & { path: string; format: FileFormat }>;
}

interface SourceFile extends FileReading {
  file: string;
  relFile: string;
}

export default defineStage({
  name: 'load-data',
  version: 1,
  description: 'Read text, JSONL, CSV/TSV or Parquet files into canonical JSONL records',
  headline: ['records'],
  schema: loadDataSchema,
  inputs: () => ({ source: { kind: 'any', description: 'a data file, a set of files, or a folder of them' } }),
  outputs: () => ({
    records: { kind: 'file', description: `${RECORDS_FILE}: one canonical JSON object per line (records.sources.jsonl beside it: each one's file and line)` },
    stats: { kind: 'file', description: `${STATS_FILE}: record, skipped and empty counts, in total and per file` },
  }),
  async run(ctx, params) {
    const toRel = (file: string) => relative(ctx.recipeDir, file).split(sep).join('/');
    const source = ctx.inputs.source;
    if (source === undefined) {
      throw new PipelineError('RECIPE_INVALID', 'load-data needs an input named `source`', {
        hint: 'bind it in the recipe, e.g. `inputs: { source: data/corpus.txt }`',
      });
    }
    if (source.files.length === 0) {
      throw new PipelineError('RECIPE_INVALID', `input \`source\` (${toRel(source.path)}) holds no files`, {
        hint: 'point `source` at a data file or a folder that contains some',
      });
    }
    // Decide every file's format first, so an unknown extension fails before any reading.
    const files: SourceFile[] = source.files.map((file) => {
      const relFile = toRel(file);
      return { file, relFile, ...detectFormat(file, relFile, params) };
    });

    const writer = openLineWriter(join(ctx.outDir, RECORDS_FILE));
    // Beside the records, not in them: where each came from, so a later stage's data error names the user's file.
    const sources = openLineWriter(sourcesFileFor(join(ctx.outDir, RECORDS_FILE)));
    const stats: LoadStats = { records: 0, skipped: 0, empty: 0, files: [] };
    const maxRecords = params.maxRecords ?? Infinity;
    try {
      for (const [i, f] of files.entries()) {
        if (stats.records >= maxRecords) {
          ctx.log.info(`reached maxRecords (${maxRecords}); ${files.length - i} file(s) not read`);
          break;
        }
        ctx.signal.throwIfAborted();
        const counts = await loadFile(readRows(f, params, ctx.signal), {
          relFile: f.relFile,
          onMalformed: params.onMalformed,
          fields: params.fields,
          limit: maxRecords - stats.records,
          writer,
          sources,
          log: ctx.log,
          signal: ctx.signal,
        });
        stats.files.push({ path: f.relFile, format: f.format, ...counts });
        stats.records += counts.records;
        stats.skipped += counts.skipped;
        stats.empty += counts.empty;
        ctx.progress({ step: i + 1, total: files.length, metrics: { records: stats.records } });
      }
      await writer.close();
      await sources.close();
    } catch (error) {
      writer.destroy();
      sources.destroy();
      throw error;
    }
    if (stats.records === 0 && !params.allowEmpty) {
      throw new PipelineError('DATA_INVALID', `no records in ${toRel(source.path)}: ${files.length} file(s) read, ${stats.skipped} malformed row(s) skipped, ${stats.empty} empty dropped`, {
        hint: stats.skipped ? 'every row was malformed: check `format` and `fields`, or set `onMalformed: error` to see the first bad row' : 'point `source` at data that holds records, or set `allowEmpty: true` if empty is expected',
      });
    }
    await writeFile(join(ctx.outDir, STATS_FILE), `${JSON.stringify(stats, null, 2)}\n`);
    ctx.log.info(
      `${stats.records} records from ${stats.files.length} file(s); ${stats.skipped} malformed skipped, ${stats.empty} empty dropped`,
    );
    return {
      metrics: { records: stats.records, skipped: stats.skipped, empty: stats.empty, files: stats.files.length },
      artifacts: { records: RECORDS_FILE, stats: STATS_FILE },
    };
  },
});

function readRows(f: SourceFile, params: LoadDataParams, signal: AbortSignal): AsyncIterable<RowItem> {
  switch (f.format) {
    case 'text':
      return readText(f.file, params.textUnit, signal);
    case 'jsonl':
      return readJsonl(f.file, { onMalformed: 'yield', signal });
    case 'csv':
      return readCsv(f.file, { delimiter: f.delimiter, skipMalformed: params.onMalformed === 'skip', signal });
    case 'parquet':
      return readParquet(f.file, signal);
  }
}
