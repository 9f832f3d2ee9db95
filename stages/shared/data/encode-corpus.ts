// Tokenises a corpus into one Int32Array: each document's tokens followed by <|eos|>, so the model
// learns where texts end. Typed arrays throughout; no per-token objects.
import type { Tokenizer } from '../tokenizer/bpe.ts';
import { readCorpusTexts } from './corpus-text.ts';
import { EOS_ID } from '../tokenizer/special-tokens.ts';

export interface EncodeCorpusOptions {
  textField: string;
  maxBytes: number;
  signal?: AbortSignal;
  displayName?: (file: string) => string;
}

export async function encodeCorpus(tokenizer: Tokenizer, files: readonly string[], options: EncodeCorpusOptions): Promise<{ tokens: Int32Array; documents: number; bytes: number }> {
  let buffer = new Int32Array(1 << 16);
  let length = 0;
  let documents = 0;
  const stats = { bytes: 0, capped: false };
  const push = (ids: ArrayLike<number>) => {
    if (length + ids.length > buffer.length) {
      const grown = new Int32Array(Math.max(buffer.length * 2, length + ids.length));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    buffer.set(ids, length);
    length += ids.length;
  };
  for await (const text of readCorpusTexts(files, options, stats)) {
    push(tokenizer.encode(text));
    push([EOS_ID]);
    documents++;
  }
  return { tokens: buffer.slice(0, length), documents, bytes: stats.bytes };
}
