// Reads the text a tokenizer learns from (or a model trains on) out of JSONL records or plain text files,
// in file order and only up to a byte budget, so a huge corpus costs no more than the part that is used.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { errDataInvalid } from '../../../engine/errors.ts';

export interface CorpusOptions {
  /** The JSONL field holding the text. */
  textField: string;
  /** Stop after this many UTF-8 bytes of text. */
  maxBytes: number;
  signal?: AbortSignal;
  /** How a file is named in errors (relative to the recipe, say). */
  displayName?: (file: string) => string;
}

/** What a read yielded, filled in as it goes. */
export interface CorpusStats {
  /** UTF-8 bytes of the texts yielded so far. */
  bytes: number;
  /** True once the budget stopped the read early. */
  capped: boolean;
}

const JSONL_EXTENSIONS = new Set(['.jsonl', '.ndjson']);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Yields each record's text (JSONL) or each file's text (anything else); never more than maxBytes in all.
 * The text that reaches the budget is the last, even when cutting it at a character boundary leaves a byte or two.
 */
export async function* readCorpusTexts(
  files: readonly string[],
  options: CorpusOptions,
  stats: CorpusStats = { bytes: 0, capped: false },
): AsyncGenerator<string> {
  const name = options.displayName ?? ((file: string) => file);
  const remaining = () => options.maxBytes - stats.bytes;
  for (const file of files) {
    options.signal?.throwIfAborted();
    const texts = JSONL_EXTENSIONS.has(extname(file).toLowerCase())
      ? readJsonlTexts(file, name(file), options)
      : readTextFile(file, name(file), remaining());
    for await (const text of texts) {
      let bytes = Buffer.byteLength(text);
      if (bytes >= remaining()) {
        stats.capped = true;
        const last = bytes === remaining() ? text : cutUtf8(Buffer.from(text), remaining()).toString('utf8');
        bytes = Buffer.byteLength(last);
        stats.bytes += bytes;
        if (bytes > 0) yield last;
        return; // leaving the loop closes the file
      }
      stats.bytes += bytes;
      if (bytes > 0) yield text;
    }
  }
}

async function* readJsonlTexts(file: string, relFile: string, options: CorpusOptions): AsyncGenerator<string> {
  const stream = createReadStream(file, options.signal === undefined ? {} : { signal: options.signal });
  const hint = '.jsonl files are read as records, as load-data writes them; `textField` names the field with the text';
  try {
    let lineNo = 0;
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      lineNo += 1;
      if (line.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (error) {
        throw errDataInvalid(relFile, lineNo, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`, hint);
      }
      const text = typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[options.textField] : undefined;
      if (typeof text !== 'string') throw errDataInvalid(relFile, lineNo, `record has no string field \`${options.textField}\``, hint);
      yield text;
    }
  } finally {
    stream.destroy();
  }
}

/**
 * Reads the file, or only its first `limit` bytes and a few more: enough for the caller to see the budget
 * reached and cut there, without reading the rest of a large file.
 */
async function* readTextFile(file: string, relFile: string, limit: number): AsyncGenerator<string> {
  const handle = await open(file, 'r');
  let bytes: Buffer;
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.min(size, limit + 4));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    // Drop a character the read may have split: still at least `limit` bytes remain.
    bytes = bytesRead < size ? cutUtf8(buffer.subarray(0, bytesRead), bytesRead - 1) : buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  try {
    yield strictUtf8.decode(bytes);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw errDataInvalid(relFile, firstBadLine(bytes), 'not valid UTF-8', 'a tokenizer corpus must be UTF-8 text');
  }
}

/** The longest prefix of at most `max` bytes that ends on a character boundary. */
function cutUtf8(bytes: Buffer, max: number): Buffer {
  if (max >= bytes.length) return bytes;
  let cut = max;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut -= 1; // back over continuation bytes
  return bytes.subarray(0, cut);
}

function firstBadLine(bytes: Buffer): number {
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    try {
      strictUtf8.decode(bytes.subarray(start, stop));
    } catch (error) {
      if (error instanceof TypeError) return line;
      throw error;
    }
    start = stop + 1;
  }
  return line;
}
