// Near-duplicate detection by word n-gram overlap (Self-Instruct drops a new instruction whose ROUGE-L
// with any kept one reaches 0.7; Jaccard similarity of n-gram sets is the same idea, and an inverted
// index makes each lookup proportional to the n-grams shared, not to the pool size).

export function ngrams(text: string, n: number): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
  const grams = new Set<string>();
  if (words.length < n) {
    if (words.length > 0) grams.add(words.join(' '));
    return grams;
  }
  for (let i = 0; i + n <= words.length; i++) grams.add(words.slice(i, i + n).join(' '));
  return grams;
}

export class NgramIndex {
  readonly #n: number;
  readonly #postings = new Map<string, number[]>();
  readonly #sizes: number[] = [];

  constructor(n: number) {
    this.#n = n;
  }

  get size(): number {
    return this.#sizes.length;
  }

  add(text: string): void {
    const id = this.#sizes.length;
    const grams = ngrams(text, this.#n);
    this.#sizes.push(grams.size);
    for (const gram of grams) {
      const list = this.#postings.get(gram);
      if (list) list.push(id);
      else this.#postings.set(gram, [id]);
    }
  }

  /** The highest Jaccard similarity between `text` and any indexed text (0 when none shares an n-gram). */
  maxSimilarity(text: string): number {
    const grams = ngrams(text, this.#n);
    const shared = new Map<number, number>();
    for (const gram of grams) for (const id of this.#postings.get(gram) ?? []) shared.set(id, (shared.get(id) ?? 0) + 1);
    let best = 0;
    for (const [id, common] of shared) best = Math.max(best, common / (grams.size + this.#sizes[id]! - common));
    return best;
  }
}
