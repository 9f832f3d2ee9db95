// The conversation of `tempa chat`: every turn so far, rendered in the chat template for each answer,
// oldest exchanges dropped when the prompt and the answer's room no longer fit the model's context.
import { renderPrompt, type ChatTurn } from '../shared/chat/template.ts';
import type { Tokenizer } from '../shared/tokenizer/bpe.ts';
import { errUsage } from '../../engine/errors.ts';

export class ChatHistory {
  readonly #tokenizer: Pick<Tokenizer, 'encode'>;
  readonly #blockSize: number;
  readonly #system: ChatTurn[];
  #turns: ChatTurn[] = [];

  constructor(tokenizer: Pick<Tokenizer, 'encode'>, blockSize: number, system?: string) {
    this.#tokenizer = tokenizer;
    this.#blockSize = blockSize;
    this.#system = system ? [{ role: 'system', content: system }] : [];
  }

  get turns(): readonly ChatTurn[] {
    return [...this.#system, ...this.#turns];
  }

  /**
   * The prompt for answering `message`, leaving `room` positions to answer in. Drops the oldest
   * exchanges that do not fit (returns how many turns were dropped); the system turn always stays.
   */
  prompt(message: string, room: number): { ids: Int32Array; dropped: number } {
    const user: ChatTurn = { role: 'user', content: message };
    let dropped = 0;
    for (;;) {
      const ids = renderPrompt(this.#tokenizer, [...this.#system, ...this.#turns, user]);
      if (ids.length + room <= this.#blockSize || this.#turns.length === 0) {
        // With nothing left to drop, a long message still gets whatever room remains.
        if (ids.length >= this.#blockSize) throw errTooLong(ids.length, this.#blockSize);
        return { ids, dropped };
      }
      // An exchange is a user turn and the answer after it.
      const next = this.#turns.findIndex((t, i) => i > 0 && t.role === 'user');
      const removed = next < 0 ? this.#turns.length : next;
      this.#turns = this.#turns.slice(removed);
      dropped += removed;
    }
  }

  add(message: string, answer: string): void {
    this.#turns.push({ role: 'user', content: message }, { role: 'assistant', content: answer });
  }

  reset(): void {
    this.#turns = [];
  }
}

function errTooLong(tokens: number, blockSize: number) {
  return errUsage(`the message takes ${tokens} tokens; the model reads at most ${blockSize}`, 'send a shorter message, or chat with a model trained with a larger blockSize');
}
