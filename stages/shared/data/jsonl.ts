// The one JSON Lines reader: every stage that reads JSONL (load-data, split-data, the tokenizer and
// pretrain corpus, chat rows) goes through it, so a malformed row is found, named and handled alike.
// Lines split on LF, CRLF or CR and decode as strict UTF-8 (read-lines.ts); blank lines are ignored.
import { errDataInvalid } from '../../../engine/errors.ts';
import { readLines } from './read-lines.ts';

/** The hint of stages whose `onMalformed` option can skip bad rows. */
export const SKIP_MALFORMED_HINT = 'fix the row, or set `onMalformed: skip` to skip and count malformed rows';

/** A JSON object read from line `line`; `text` is the line as written, for stages that copy it. */
export interface JsonlRow {
  line: number;
  text: string;
  record: Record<string, unknown>;
}

/** A line that is not a JSON object, and why (the parser's own message for bad JSON). */
export interface MalformedLine {
  line: number;
  malformed: string;
}

export interface JsonlOptions {
  /**
   * What a malformed line does: `error` (the default) throws DATA_INVALID at file:line; `skip` passes
   * over it, telling `onSkip`; `yield` hands it to the caller as a MalformedLine, in order.
   */
  onMalformed?: 'error' | 'skip' | 'yield';
  /** Called for each line `skip` passes over. */
  onSkip?: (bad: MalformedLine) => void;
  signal?: AbortSignal;
  /** The file as errors name it (relative to the recipe, say); default: its path. */
  displayName?: string;
  /** The hint of the DATA_INVALID error. */
  hint?: string;
}

export function readJsonl(file: string, options: JsonlOptions & { onMalformed: 'yield' }): AsyncGenerator<JsonlRow | MalformedLine>;
export function readJsonl(file: string, options?: JsonlOptions & { onMalformed?: 'error' | 'skip' }): AsyncGenerator<JsonlRow>;
export async function* readJsonl(file: string, options: JsonlOptions = {}): AsyncGenerator<JsonlRow | MalformedLine> {
  const policy = options.onMalformed ?? 'error';
  for await (const { line, text } of readLines(file, options.signal)) {
    if (text !== null && text.trim() === '') continue;
    const parsed = text === null ? { problem: 'not valid UTF-8' } : parseObject(text);
    if ('record' in parsed) {
      yield { line, text: text!, record: parsed.record };
      continue;
    }
    const bad = { line, malformed: parsed.problem };
    if (policy === 'yield') yield bad;
    else if (policy === 'skip') options.onSkip?.(bad);
    else throw errDataInvalid(options.displayName ?? file, line, parsed.problem, options.hint);
  }
}

function parseObject(text: string): { record: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { record: value as Record<string, unknown> };
  return { problem: `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}` };
}
