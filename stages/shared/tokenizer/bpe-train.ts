// Byte-level BPE training (Sennrich et al. 2016, on bytes as in GPT-2), incremental like HF `tokenizers`:
// words are counted once, each merge updates only the words that hold its pair, and a max-heap with
// lazy deletion picks the next pair. Ties go to the lowest (left id, right id), so results are exact.
import { MAX_VOCAB, bytesKey, type BpeModel } from './bpe.ts';
import { packPair } from './merge-word.ts';
import { PairHeap } from './pair-heap.ts';
import { PRETOKENIZE_PATTERN } from './pretokenize.ts';
import { SPECIAL_TOKENS } from './special-tokens.ts';

export interface TrainOptions {
  /** Total tokens wanted: specials + 256 bytes + merges. */
  vocabSize: number;
  specials?: readonly string[];
  /** Recorded in the model; must be the pattern the word counts were made with. */
  pattern?: string;
  signal?: AbortSignal;
  /** Called every PROGRESS_EVERY merges, and at the end when that is not such a step. */
  onProgress?: (merges: number, targetMerges: number) => void;
}

export interface TrainResult {
  model: BpeModel;
  /** True when the corpus ran out of pairs before the vocabulary reached vocabSize. */
  exhausted: boolean;
}

export const PROGRESS_EVERY = 256;

const utf8 = new TextEncoder();

/** Every unique word as a mutable symbol array, plus the pair counts and pair -> words index over them. */
interface Corpus {
  words: Int32Array[];
  lengths: Int32Array;
  freqs: Float64Array;
  pairCounts: Map<number, number>;
  /** Words that hold (or once held) each pair; may repeat or be stale, checked on use. */
  pairWords: Map<number, number[]>;
  /** Per word, the merge (+1) that last rewrote it, so a word listed twice under a pair is rewritten once. */
  visited: Int32Array;
}

/** Learns merges from pre-tokenized word counts (see WordCounts) until the vocabulary has vocabSize tokens. */
export function trainBpe(wordCounts: ReadonlyMap<string, number>, options: TrainOptions): TrainResult {
  const specials = options.specials ?? SPECIAL_TOKENS;
  const byteOffset = specials.length;
  const { vocabSize } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < byteOffset + 256 || vocabSize > MAX_VOCAB) {
    throw new RangeError(`vocabSize must be an integer from ${byteOffset + 256} to ${MAX_VOCAB}, got ${vocabSize}`);
  }
  const tokens: Uint8Array[] = specials.map((s) => utf8.encode(s));
  const idByKey = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    idByKey.set(String.fromCharCode(b), tokens.length);
    tokens.push(Uint8Array.of(b));
  }
  options.signal?.throwIfAborted();
  const corpus = buildCorpus(wordCounts, byteOffset);
  const heap = new PairHeap();
  for (const [key, count] of corpus.pairCounts) heap.push(count, key);
  const merges: Array<readonly [number, number]> = [];
  const targetMerges = vocabSize - tokens.length;
  let exhausted = false;
  while (tokens.length < vocabSize) {
    const key = popBest(heap, corpus.pairCounts);
    if (key === undefined) {
      exhausted = true;
      break;
    }
    const a = key >>> 16;
    const b = key & 0xffff;
    const bytes = concat(tokens[a]!, tokens[b]!);
    // Two different pairs can spell the same bytes ("a"+"bc", "ab"+"c"): both rules then share one token.
    const text = bytesKey(bytes);
    let merged = idByKey.get(text);
    if (merged === undefined) {
      merged = tokens.length;
      tokens.push(bytes);
      idByKey.set(text, merged);
    }
    applyMerge(corpus, heap, a, b, merged, merges.length);
    merges.push([a, b]);
    if (merges.length % PROGRESS_EVERY === 0) {
      options.signal?.throwIfAborted();
      options.onProgress?.(merges.length, targetMerges);
    }
  }
  if (merges.length % PROGRESS_EVERY !== 0 || merges.length === 0) options.onProgress?.(merges.length, targetMerges);
  const model: BpeModel = {
    tokens,
    merges,
    specials: specials.map((content, id) => ({ id, content })),
    pattern: options.pattern ?? PRETOKENIZE_PATTERN,
  };
  return { model, exhausted };
}

function buildCorpus(wordCounts: ReadonlyMap<string, number>, byteOffset: number): Corpus {
  const words: Int32Array[] = [];
  const lengths = new Int32Array(wordCounts.size);
  const freqs = new Float64Array(wordCounts.size);
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  for (const [piece, freq] of wordCounts) {
    const w = words.length;
    const symbols = Int32Array.from(utf8.encode(piece), (b) => b + byteOffset);
    words.push(symbols);
    lengths[w] = symbols.length;
    freqs[w] = freq;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = packPair(symbols[i]!, symbols[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + freq);
      addWord(pairWords, key, w);
    }
  }
  return { words, lengths, freqs, pairCounts, pairWords, visited: new Int32Array(words.length) };
}

/** The most frequent live pair, or undefined when none is left. Stale heap entries are re-queued or dropped. */
function popBest(heap: PairHeap, pairCounts: Map<number, number>): number | undefined {
  while (heap.size > 0) {
    const count = heap.topCount();
    const key = heap.topKey();
    heap.pop();
    const current = pairCounts.get(key) ?? 0;
    if (current === count) return key;
    // Lower now: queue it at its true count. Higher: a fresher entry was pushed when it rose.
    if (current > 0 && current < count) heap.push(current, key);
  }
  return undefined;
}

/**
 * Replaces (a, b) with `merged` in every word that holds it, left to right without overlaps, and moves the
 * counts of the neighbouring pairs: (prev, a) -> (prev, merged) and (b, next) -> (merged, next).
 */
function applyMerge(corpus: Corpus, heap: PairHeap, a: number, b: number, merged: number, stamp: number): void {
  const { words, lengths, freqs, pairCounts, pairWords, visited } = corpus;
  const key = packPair(a, b);
  const risen = new Set<number>();
  const change = (pair: number, delta: number, word: number) => {
    const count = (pairCounts.get(pair) ?? 0) + delta;
    if (count > 0) pairCounts.set(pair, count);
    else {
      pairCounts.delete(pair);
      pairWords.delete(pair);
    }
    if (delta > 0) {
      risen.add(pair);
      addWord(pairWords, pair, word);
    }
  };
  for (const w of pairWords.get(key) ?? []) {
    if (visited[w] === stamp + 1) continue;
    visited[w] = stamp + 1;
    const s = words[w]!;
    const length = lengths[w]!;
    const f = freqs[w]!;
    let out = 0;
    for (let i = 0; i < length; ) {
      if (i + 1 < length && s[i] === a && s[i + 1] === b) {
        if (out > 0) {
          const before = s[out - 1]!; // already rewritten: may be a `merged` from just before
          change(packPair(before, a), -f, w);
          change(packPair(before, merged), f, w);
        }
        if (i + 2 < length) {
          const after = s[i + 2]!;
          change(packPair(b, after), -f, w);
          change(packPair(merged, after), f, w);
        }
        s[out++] = merged;
        i += 2;
      } else s[out++] = s[i++]!;
    }
    lengths[w] = out;
  }
  pairCounts.delete(key);
  pairWords.delete(key);
  for (const pair of risen) {
    const count = pairCounts.get(pair);
    if (count !== undefined) heap.push(count, pair);
  }
}

function addWord(pairWords: Map<number, number[]>, pair: number, word: number): void {
  const list = pairWords.get(pair);
  if (list === undefined) pairWords.set(pair, [word]);
  else if (list[list.length - 1] !== word) list.push(word);
}

function concat(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = new Uint8Array(left.length + right.length);
  out.set(left);
  out.set(right, left.length);
  return out;
}
