// Applies BPE merges to one pre-tokenized piece the way Hugging Face `tokenizers` does (Word::merge_all),
// so a tokenizer.json we save encodes to the same ids there as here, even in rare tie and collision cases.

/** Merge rules indexed for encoding: rank by packed pair, result id by rank. */
export interface MergeTable {
  ranks: Map<number, number>;
  results: Int32Array;
}

/** Pair (a, b) of ids below 65536 as one int32 (a Smi, so Map lookups stay fast). */
export const packPair = (a: number, b: number): number => (a << 16) | b;

const POS_SPAN = 2 ** 32;

// Scratch space reused across calls: encoding is synchronous, so no two calls overlap.
let sym = new Int32Array(64);
let prev = new Int32Array(64);
let next = new Int32Array(64);
let heap = new Float64Array(192);
let heapSize = 0;

/**
 * Merges `symbols[0..n)` (initial byte ids). A min-heap holds (rank, position): the lowest rank merges
 * first, and among equal ranks the leftmost. An entry is stale when its position was absorbed or its pair
 * now yields a different token; HF compares result ids rather than ranks, and so do we.
 */
export function mergeWord(symbols: Int32Array, n: number, table: MergeTable): Int32Array {
  if (n < 2) return symbols.slice(0, n);
  if (sym.length < n) {
    sym = new Int32Array(n * 2);
    prev = new Int32Array(n * 2);
    next = new Int32Array(n * 2);
    heap = new Float64Array(n * 6);
  }
  const { ranks, results } = table;
  heapSize = 0;
  for (let i = 0; i < n; i++) {
    sym[i] = symbols[i]!;
    prev[i] = i - 1;
    next[i] = i + 1;
  }
  for (let i = 0; i + 1 < n; i++) {
    const rank = ranks.get(packPair(sym[i]!, sym[i + 1]!));
    if (rank !== undefined) heapPush(rank * POS_SPAN + i);
  }
  let count = n;
  while (heapSize > 0) {
    const top = heapPop();
    const rank = Math.floor(top / POS_SPAN);
    const pos = top - rank * POS_SPAN;
    const right = next[pos]!;
    if (sym[pos]! < 0 || right >= n) continue;
    const current = ranks.get(packPair(sym[pos]!, sym[right]!));
    const merged = results[rank]!;
    if (current === undefined || results[current] !== merged) continue;
    sym[pos] = merged;
    sym[right] = -1; // absorbed: only right-hand symbols are ever removed, so position 0 survives
    const after = next[right]!;
    next[pos] = after;
    if (after < n) prev[after] = pos;
    count -= 1;
    const before = prev[pos]!;
    if (before >= 0) {
      const r = ranks.get(packPair(sym[before]!, merged));
      if (r !== undefined) heapPush(r * POS_SPAN + before);
    }
    if (after < n) {
      const r = ranks.get(packPair(merged, sym[after]!));
      if (r !== undefined) heapPush(r * POS_SPAN + pos);
    }
  }
  const out = new Int32Array(count);
  for (let i = 0, pos = 0; pos < n; pos = next[pos]!) out[i++] = sym[pos]!;
  return out;
}

function heapPush(value: number): void {
  if (heapSize === heap.length) {
    const grown = new Float64Array(heap.length * 2);
    grown.set(heap);
    heap = grown;
  }
  let i = heapSize++;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function heapPop(): number {
  const top = heap[0]!;
  const last = heap[--heapSize]!;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heapSize) break;
    const right = left + 1;
    const child = right < heapSize && heap[right]! < heap[left]! ? right : left;
    if (heap[child]! >= last) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}
