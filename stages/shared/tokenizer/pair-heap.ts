// The priority queue BPE training picks its next merge from: most frequent pair first, ties to the
// lowest (left id, right id). Entries go stale as counts change; the trainer checks them when popped.

/** Max-heap of (count, packed pair) in two typed arrays, so a million entries cost no objects. */
export class PairHeap {
  #counts = new Float64Array(1024);
  #keys = new Int32Array(1024);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  topCount(): number {
    return this.#counts[0]!;
  }

  topKey(): number {
    return this.#keys[0]!;
  }

  push(count: number, key: number): void {
    if (this.#size === this.#counts.length) this.#grow();
    const counts = this.#counts;
    const keys = this.#keys;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(count, key, counts[parent]!, keys[parent]!)) break;
      counts[i] = counts[parent]!;
      keys[i] = keys[parent]!;
      i = parent;
    }
    counts[i] = count;
    keys[i] = key;
  }

  /** Removes the top entry (read it first with topCount/topKey). */
  pop(): void {
    const counts = this.#counts;
    const keys = this.#keys;
    const size = --this.#size;
    const count = counts[size]!;
    const key = keys[size]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && before(counts[right]!, keys[right]!, counts[left]!, keys[left]!) ? right : left;
      if (!before(counts[child]!, keys[child]!, count, key)) break;
      counts[i] = counts[child]!;
      keys[i] = keys[child]!;
      i = child;
    }
    counts[i] = count;
    keys[i] = key;
  }

  #grow(): void {
    const counts = new Float64Array(this.#counts.length * 2);
    const keys = new Int32Array(this.#keys.length * 2);
    counts.set(this.#counts);
    keys.set(this.#keys);
    this.#counts = counts;
    this.#keys = keys;
  }
}

/** Higher count first; on a tie the smaller pair, compared as unsigned (left << 16 | right). */
function before(countA: number, keyA: number, countB: number, keyB: number): boolean {
  return countA > countB || (countA === countB && keyA >>> 0 < keyB >>> 0);
}
