// Writes a JSONL output through a write stream, batching lines into large chunks and honouring backpressure;
// close() resolves only once the data is flushed. split-data uses it too (a stages/shared/ candidate).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';

export interface LineWriter {
  /** Appends `line` plus a newline; waits when the stream's buffer is full. */
  write(line: string): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
  /** Drops the stream after a failure. */
  destroy(): void;
}

/** One stream.write per ~64 KiB instead of one per line: per-call overhead dominated small records. */
const BATCH_CHARS = 64 * 1024;

export function openLineWriter(file: string): LineWriter {
  const stream = createWriteStream(file, { encoding: 'utf8' });
  // Keep a failure until the next write/close reports it, instead of crashing as an unhandled 'error'.
  let failure: Error | undefined;
  stream.on('error', (error) => (failure ??= error));
  let batch = '';
  const flush = async () => {
    const chunk = batch;
    batch = '';
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  return {
    async write(line) {
      if (failure) throw failure;
      batch += `${line}\n`;
      if (batch.length >= BATCH_CHARS) await flush();
    },
    async close() {
      if (failure) throw failure;
      if (batch !== '') await flush();
      stream.end();
      await finished(stream);
    },
    destroy() {
      stream.destroy();
    },
  };
}
