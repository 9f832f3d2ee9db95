// Streams a file as lines without ever holding it whole, splitting on LF, CRLF or a lone CR and decoding
// each line as strict UTF-8, so a bad byte is reported with its exact line number.
import { createReadStream } from 'node:fs';

/** One physical line; `text` is null when its bytes are not valid UTF-8. */
export interface Line {
  line: number;
  text: string | null;
}

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export async function* readLines(file: string, signal?: AbortSignal): AsyncGenerator<Line> {
  const stream = createReadStream(file, signal === undefined ? {} : { signal });
  let pending: Buffer[] = [];
  let lineNo = 0;
  let skipLF = false; // the previous chunk ended with CR: a leading LF belongs to it
  const decode = (bytes: Uint8Array): Line => {
    lineNo += 1;
    try {
      let text = decoder.decode(bytes);
      if (lineNo === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
      return { line: lineNo, text };
    } catch (error) {
      if (error instanceof TypeError) return { line: lineNo, text: null };
      throw error;
    }
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    if (skipLF && chunk[0] === LF) start = 1;
    skipLF = false;
    let nextCR = chunk.indexOf(CR, start);
    while (start < chunk.length) {
      let end = chunk.indexOf(LF, start);
      if (nextCR !== -1 && nextCR < start) nextCR = chunk.indexOf(CR, start);
      if (nextCR !== -1 && (end === -1 || nextCR < end)) end = nextCR;
      if (end === -1) break;
      const piece = chunk.subarray(start, end);
      yield decode(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      pending = [];
      start = end + 1;
      if (chunk[end] === CR) {
        if (end + 1 === chunk.length) skipLF = true;
        else if (chunk[end + 1] === LF) start = end + 2;
      }
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield decode(Buffer.concat(pending));
}
