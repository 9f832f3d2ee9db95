// Records carry their source: a JSONL artifact `x.jsonl` may have a sidecar `x.sources.jsonl` whose
// line N says where line N came from (`{"file":"data/chat.jsonl","line":2}`, relative to the recipe).
// A stage that fails on a row it read from an upstream stage's output is then reported at the user's
// file and line instead of a path in the store. A sidecar, not a field in the records, so the records
// (and every key computed from their hash) stay as they were.
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PipelineError } from './errors.ts';
import type { InputArtifact } from './stage.ts';

export interface RowSource {
  file: string;
  line: number;
}

/** The sidecar of a JSONL file: `records.jsonl` -> `records.sources.jsonl`. */
export const sourcesFileFor = (file: string): string => `${file.replace(/\.jsonl$/, '')}.sources.jsonl`;

/** Line `line` of `file`'s sidecar, or undefined when it has none (or no such line). */
export async function rowSource(file: string, line: number): Promise<RowSource | undefined> {
  const sidecar = sourcesFileFor(file);
  if (!existsSync(sidecar)) return undefined;
  const lines = createInterface({ input: createReadStream(sidecar), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of lines) {
      if (++n < line) continue;
      const source = JSON.parse(text) as Partial<RowSource> | null;
      return typeof source?.file === 'string' && typeof source.line === 'number' ? { file: source.file, line: source.line } : undefined;
    }
  } catch {
    return undefined; // a damaged sidecar only costs the better location
  } finally {
    lines.close();
  }
  return undefined;
}

/**
 * A DATA_INVALID error located in a file some upstream stage wrote: the same error at the row's source,
 * naming the upstream output it was read from. Any other error is returned as it was.
 */
export async function relocateDataError(error: unknown, stageDir: string, inputs: Readonly<Record<string, InputArtifact>>): Promise<unknown> {
  if (!(error instanceof PipelineError) || error.code !== 'DATA_INVALID' || !error.location) return error;
  const { file, line } = error.location;
  const full = path.resolve(stageDir, file);
  const input = Object.values(inputs).find((a) => a.from && a.files.includes(full));
  const source = input && (await rowSource(full, line));
  if (!input?.from || !source) return error;
  const prefix = `${file}:${line}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new PipelineError('DATA_INVALID', `${source.file}:${source.line}: ${message} (line ${line} of ${input.from.stage}.${input.from.output})`, {
    location: { file: source.file, line: source.line, col: 1 },
    hint: error.hint,
    cause: error,
  });
}
