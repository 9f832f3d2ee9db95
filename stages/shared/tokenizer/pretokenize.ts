// Splits text into the pieces BPE works inside, so merges never cross word boundaries. The pattern is
// written once and used both here (JS RegExp) and in tokenizer.json (Oniguruma, via HF `tokenizers`).

// GPT-4's cl100k split (as Hugging Face writes it for Llama 3), adapted so both engines read it alike:
// - `\s` differs between the engines (JS adds U+FEFF, Oniguruma adds U+0085), so whitespace is spelt
//   out as the characters JS and Unicode White_Space agree on, written literally (no escape syntax).
// - `(?i:...)` is not JS before Node 23, so contractions spell both cases.
// - numbers split into runs of at most 2 digits, not 3, as nanochat does: at a few thousand tokens a
//   vocabulary has better uses than all 1,000 three-digit numbers.
const WS = '\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';

export const PRETOKENIZE_PATTERN = [
  `'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])`,
  `[^\\r\\n\\p{L}\\p{N}]?\\p{L}+`,
  `\\p{N}{1,2}`,
  ` ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*`,
  `[${WS}]*[\\r\\n]+`,
  `[${WS}]+(?![^${WS}])`,
  `[${WS}]+`,
].join('|');

/** A global, unicode-aware RegExp for `pattern` (each caller gets its own: lastIndex is state). */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(pattern, 'gu');
}

/**
 * Calls `onPiece` for every piece of `text` in order. Text between matches becomes a piece of its own,
 * as HF's Split pre-tokenizer does with behavior "Isolated" (our pattern leaves no such gaps).
 */
export function forEachPiece(text: string, regex: RegExp, onPiece: (piece: string) => void): void {
  regex.lastIndex = 0;
  let last = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const piece = m[0];
    if (piece === '') {
      // An empty match would loop forever; step over one code point, like matchAll does.
      regex.lastIndex += (text.codePointAt(regex.lastIndex) ?? 0) > 0xffff ? 2 : 1;
      continue;
    }
    if (m.index > last) onPiece(text.slice(last, m.index));
    onPiece(piece);
    last = regex.lastIndex;
  }
  if (last < text.length) onPiece(text.slice(last));
}

/** The pieces of `text` as an array (tests and debugging; the hot paths use forEachPiece). */
export function pretokenize(text: string, pattern = PRETOKENIZE_PATTERN): string[] {
  const pieces: string[] = [];
  forEachPiece(text, compilePattern(pattern), (piece) => pieces.push(piece));
  return pieces;
}
