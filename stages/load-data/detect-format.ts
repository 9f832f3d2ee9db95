// Decides how one source file is read: its format (from `format`, or its extension under `auto`) and,
// for CSV, the delimiter. An extension we don't know is a recipe problem, reported with the fix.
import { extname } from 'node:path';
import { PipelineError } from '../../engine/errors.ts';

export type FileFormat = 'text' | 'jsonl' | 'csv' | 'parquet';

export interface FileReading {
  format: FileFormat;
  /** Only meaningful for csv. */
  delimiter: string;
}

const BY_EXTENSION: Record<string, FileFormat> = {
  '.txt': 'text',
  '.md': 'text',
  '.text': 'text',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.parquet': 'parquet',
};

/** `relFile` is the path shown to the user (relative to the recipe). */
export function detectFormat(
  file: string,
  relFile: string,
  params: { format: FileFormat | 'auto'; csvDelimiter?: string },
): FileReading {
  const ext = extname(file).toLowerCase();
  const delimiter = params.csvDelimiter ?? (ext === '.tsv' ? '\t' : ',');
  if (params.format !== 'auto') return { format: params.format, delimiter };
  const format = BY_EXTENSION[ext];
  if (format === undefined) {
    const known = Object.keys(BY_EXTENSION).join(', ');
    throw new PipelineError('RECIPE_INVALID', `cannot tell the format of ${relFile} from its extension \`${ext || '(none)'}\``, {
      hint: `known extensions: ${known}; set \`format\` (text, jsonl, csv or parquet) to read it anyway`,
    });
  }
  return { format, delimiter };
}
