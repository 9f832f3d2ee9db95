// Counts pre-tokenized pieces across a corpus: BPE training needs only these counts, never the text itself,
// so a corpus of any length becomes a map of a few tens of thousands of distinct words.
import { compilePattern, forEachPiece, PRETOKENIZE_PATTERN } from './pretokenize.ts';

export class WordCounts {
  /** Piece -> how many times it occurs, in first-seen order. */
  readonly counts = new Map<string, number>();
  #regex: RegExp;

  constructor(pattern = PRETOKENIZE_PATTERN) {
    this.#regex = compilePattern(pattern);
  }

  /** Adds one text; texts are split separately, so no piece spans two of them. */
  add(text: string): void {
    const counts = this.counts;
    forEachPiece(text, this.#regex, (piece) => counts.set(piece, (counts.get(piece) ?? 0) + 1));
  }
}
