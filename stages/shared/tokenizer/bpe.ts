// The byte-level BPE tokenizer every model stage uses: text -> ids and back. Any string round-trips
// exactly (lone surrogates aside, which UTF-8 cannot hold); special tokens are read from text only on request.
import { mergeWord, packPair, type MergeTable } from './merge-word.ts';
import { compilePattern, forEachPiece } from './pretokenize.ts';

/** Everything that defines a tokenizer; what training produces and what tokenizer.json stores. */
export interface BpeModel {
  /** Token bytes by id. A special token's bytes are its text. */
  tokens: readonly Uint8Array[];
  /** Merge rules in rank order. A rule's result is the token whose bytes are the pair's concatenation. */
  merges: ReadonlyArray<readonly [number, number]>;
  specials: ReadonlyArray<{ id: number; content: string }>;
  /** The pre-tokenizer regex (see pretokenize.ts). */
  pattern: string;
}

export interface EncodeOptions {
  /** Read special-token text (`<|eos|>`) as the special token; by default it is encoded as plain bytes. */
  allowSpecial?: boolean;
}

/** Pieces up to this length are cached (words repeat; long runs rarely do). */
const CACHE_PIECE_CHARS = 64;
const CACHE_ENTRIES = 200_000;
/** Ids must fit in 16 bits: merge pairs are packed into one int32. */
export const MAX_VOCAB = 65536;

const utf8 = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF instead of eating it, which exact round trips need.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export class Tokenizer {
  readonly model: BpeModel;
  readonly vocabSize: number;
  #table: MergeTable;
  #byteIds = new Int32Array(256).fill(-1);
  #specialIds = new Map<string, number>();
  #specialRegex: RegExp | undefined;
  #regex: RegExp;
  #cache = new Map<string, Int32Array>();
  #bytes = new Uint8Array(256);
  #symbols = new Int32Array(256);

  constructor(model: BpeModel) {
    this.model = model;
    this.vocabSize = model.tokens.length;
    if (this.vocabSize > MAX_VOCAB) throw new RangeError(`vocabulary of ${this.vocabSize} tokens is over the ${MAX_VOCAB} limit`);
    for (const { id, content } of model.specials) this.#specialIds.set(content, id);
    const special = new Set(model.specials.map((s) => s.id));
    const byKey = new Map<string, number>();
    model.tokens.forEach((bytes, id) => {
      if (special.has(id)) return;
      const key = bytesKey(bytes);
      if (byKey.has(key)) throw new Error(`tokens ${byKey.get(key)} and ${id} have the same bytes`);
      byKey.set(key, id);
      if (bytes.length === 1) this.#byteIds[bytes[0]!] = id;
    });
    const missing = this.#byteIds.indexOf(-1);
    if (missing >= 0) throw new Error(`no token for byte ${missing}: a byte-level vocabulary needs all 256`);
    const ranks = new Map<number, number>();
    const results = new Int32Array(model.merges.length);
    model.merges.forEach(([a, b], rank) => {
      const left = model.tokens[a];
      const right = model.tokens[b];
      const result = left && right ? byKey.get(bytesKey(left) + bytesKey(right)) : undefined;
      if (result === undefined) throw new Error(`merge ${rank} (${a}, ${b}) has no token for its result`);
      ranks.set(packPair(a, b), rank); // a repeated pair keeps its last rank, as in HF's merge map
      results[rank] = result;
    });
    this.#table = { ranks, results };
    this.#regex = compilePattern(model.pattern);
    if (model.specials.length > 0) {
      // Longest first, so a special that is a prefix of another never wins.
      const alternatives = model.specials.map((s) => s.content).sort((x, y) => y.length - x.length || (x < y ? -1 : 1));
      this.#specialRegex = new RegExp(alternatives.map(escapeRegExp).join('|'), 'gu');
    }
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    const out = new IdBuffer(Math.max(16, text.length >> 2));
    const special = this.#specialRegex;
    if (!options.allowSpecial || special === undefined) {
      this.#encodeOrdinary(text, out);
      return out.take();
    }
    special.lastIndex = 0;
    let last = 0;
    for (let m = special.exec(text); m !== null; m = special.exec(text)) {
      if (m.index > last) this.#encodeOrdinary(text.slice(last, m.index), out);
      out.push(this.#specialIds.get(m[0])!);
      last = special.lastIndex;
    }
    if (last < text.length) this.#encodeOrdinary(text.slice(last), out);
    return out.take();
  }

  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): Int32Array[] {
    return texts.map((text) => this.encode(text, options));
  }

  /** BPE on one piece as the pre-tokenizer would cut it, without cutting it again. */
  encodePiece(piece: string): Int32Array {
    return this.#encodePiece(piece).slice();
  }

  // The array returned is shared with the cache: callers copy it, never modify it.
  #encodePiece(piece: string): Int32Array {
    let ids = this.#cache.get(piece);
    if (ids !== undefined) return ids;
    // encodeInto needs up to 3 bytes per UTF-16 unit.
    if (this.#bytes.length < piece.length * 3) {
      this.#bytes = new Uint8Array(piece.length * 3);
      this.#symbols = new Int32Array(piece.length * 3);
    }
    const n = utf8.encodeInto(piece, this.#bytes).written;
    for (let i = 0; i < n; i++) this.#symbols[i] = this.#byteIds[this.#bytes[i]!]!;
    ids = mergeWord(this.#symbols, n, this.#table);
    if (piece.length <= CACHE_PIECE_CHARS) {
      if (this.#cache.size >= CACHE_ENTRIES) this.#cache.clear();
      this.#cache.set(piece, ids);
    }
    return ids;
  }

  /** Ids back to text. Byte sequences that are not valid UTF-8 (a cut-off id list) decode to U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    const tokens = this.model.tokens;
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = tokens[ids[i]!];
      if (bytes === undefined) throw new RangeError(`token id ${ids[i]} is outside the vocabulary (0..${tokens.length - 1})`);
      total += bytes.length;
    }
    const buffer = new Uint8Array(total);
    for (let i = 0, at = 0; i < ids.length; i++) {
      const bytes = tokens[ids[i]!]!;
      buffer.set(bytes, at);
      at += bytes.length;
    }
    return utf8Decoder.decode(buffer);
  }

  /** The id of a special token's text, e.g. specialId('<|eos|>'). */
  specialId(content: string): number {
    const id = this.#specialIds.get(content);
    if (id === undefined) throw new RangeError(`\`${content}\` is not a special token of this tokenizer`);
    return id;
  }

  tokenBytes(id: number): Uint8Array {
    const bytes = this.model.tokens[id];
    if (bytes === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return bytes;
  }

  #encodeOrdinary(text: string, out: IdBuffer): void {
    forEachPiece(text, this.#regex, (piece) => out.pushAll(this.#encodePiece(piece)));
  }
}

/** A token's bytes as a Latin-1 string: a cheap, exact Map key. */
export function bytesKey(bytes: Uint8Array): string {
  let key = '';
  for (const b of bytes) key += String.fromCharCode(b);
  return key;
}

function escapeRegExp(text: string): string {
  // Only syntax characters: under the `u` flag any other escape (even `\-`) is an error.
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** A growable Int32Array: encode writes ids here without boxing them into a number[]. */
class IdBuffer {
  #data: Int32Array;
  #length = 0;

  constructor(capacity: number) {
    this.#data = new Int32Array(capacity);
  }

  push(id: number): void {
    if (this.#length === this.#data.length) this.#grow(1);
    this.#data[this.#length++] = id;
  }

  pushAll(ids: Int32Array): void {
    if (this.#length + ids.length > this.#data.length) this.#grow(ids.length);
    this.#data.set(ids, this.#length);
    this.#length += ids.length;
  }

  take(): Int32Array {
    return this.#data.slice(0, this.#length);
  }

  #grow(extra: number): void {
    const grown = new Int32Array(Math.max(this.#data.length * 2, this.#length + extra));
    grown.set(this.#data.subarray(0, this.#length));
    this.#data = grown;
  }
}
