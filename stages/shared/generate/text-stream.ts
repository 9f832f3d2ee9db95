// Token ids -> text as they are generated. A byte-level token can end inside a UTF-8 character, which
// decodes as U+FFFD until the rest arrives: hold such a tail back so a stream never shows a broken glyph.
import type { Tokenizer } from '../tokenizer/bpe.ts';

export class TextStream {
  readonly #decode: (ids: readonly number[]) => string;
  readonly #ids: number[] = [];
  #shown = '';

  constructor(tokenizer: Pick<Tokenizer, 'decode'>) {
    this.#decode = (ids) => tokenizer.decode(ids);
  }

  /** The text this token completes: possibly empty. */
  push(id: number): string {
    this.#ids.push(id);
    const text = this.#decode(this.#ids).replace(/\uFFFD+$/u, '');
    if (!text.startsWith(this.#shown)) return '';
    const fresh = text.slice(this.#shown.length);
    this.#shown = text;
    return fresh;
  }

  /** Whatever is still held back (a character that never completed shows as U+FFFD). */
  flush(): string {
    const text = this.#decode(this.#ids);
    const rest = text.startsWith(this.#shown) ? text.slice(this.#shown.length) : '';
    this.#shown = text;
    return rest;
  }

  get text(): string {
    return this.#decode(this.#ids);
  }
}
