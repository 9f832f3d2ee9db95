// Instruction rows -> supervised examples -> batches whose targets are -1 everywhere but the assistant's
// tokens (the loss ignores targets < 0), drawn from a per-(step, micro) seed so a resumed run is exact.
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { renderConversation, type ChatTurn } from '../shared/chat/template.ts';
import type { ChatRow } from '../shared/chat/rows.ts';
import type { Batch } from '../shared/train/token-batches.ts';
import type { Tokenizer } from '../shared/tokenizer/bpe.ts';
import { PAD_ID } from '../shared/tokenizer/special-tokens.ts';

/** One conversation as model positions: x[t] is fed, y[t] the target (-1 where nothing is learnt). */
export interface Example {
  x: Int32Array;
  y: Int32Array;
}

/** Which tokens an example learns: the assistant's (the default), or every token after `<|bos|>`. */
export type LossOn = 'assistant' | 'all';

/**
 * A conversation of n tokens gives n-1 positions: x = ids[0..n-1), y[t] = ids[t+1] where the mask of
 * t+1 is 1 (or always, with lossOn 'all'), else -1. Longer than blockSize positions: truncated at blockSize, or dropped. An example
 * with no learnt target left (its answer cut off) is dropped too.
 */
export function toExample(tokenizer: Pick<Tokenizer, 'encode'>, turns: readonly ChatTurn[], blockSize: number, overLength: 'truncate' | 'drop', lossOn: LossOn = 'assistant') {
  const { ids, assistantMask } = renderConversation(tokenizer, turns);
  let positions = ids.length - 1;
  const truncated = positions > blockSize;
  if (truncated) {
    if (overLength === 'drop') return { truncated };
    positions = blockSize;
  }
  const x = ids.slice(0, positions);
  const y = new Int32Array(positions);
  let learnt = 0;
  for (let t = 0; t < positions; t++) {
    y[t] = lossOn === 'all' || assistantMask[t + 1] === 1 ? ids[t + 1]! : -1;
    if (y[t]! >= 0) learnt += 1;
  }
  return learnt === 0 ? { truncated } : { example: { x, y } satisfies Example, truncated };
}

export function buildExamples(tokenizer: Pick<Tokenizer, 'encode'>, rows: readonly ChatRow[], blockSize: number, overLength: 'truncate' | 'drop', lossOn: LossOn = 'assistant') {
  const examples: Example[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const { turns } of rows) {
    const result = toExample(tokenizer, turns, blockSize, overLength, lossOn);
    if (result.example === undefined) dropped += 1;
    else {
      examples.push(result.example);
      if (result.truncated) truncated += 1;
    }
  }
  return { examples, truncated, dropped };
}

/**
 * A (batchSize, blockSize) batch from a stream of examples. pad: one example per row. pack: whole
 * examples back to back while they fit (the one that does not fit opens the next row). The rest of
 * each row is <|pad|> with target -1. Packed examples attend to the earlier ones in their row.
 */
export function fillBatch(next: () => Example, batchSize: number, blockSize: number, packing: 'pad' | 'pack'): Batch {
  const x = new Int32Array(batchSize * blockSize).fill(PAD_ID);
  const y = new Int32Array(batchSize * blockSize).fill(-1);
  let carry: Example | undefined;
  for (let b = 0; b < batchSize; b++) {
    let at = b * blockSize;
    const end = at + blockSize;
    for (;;) {
      const example = carry ?? next();
      carry = undefined;
      if (at + example.x.length > end) {
        carry = example;
        break;
      }
      x.set(example.x, at);
      y.set(example.y, at);
      at += example.x.length;
      if (packing === 'pad') break;
    }
  }
  return { x, y, batchSize, blockSize };
}

/** The training batch of (step, micro): examples drawn uniformly with replacement from its own seed. */
export function sftBatch(examples: readonly Example[], batchSize: number, blockSize: number, packing: 'pad' | 'pack', seed: number, step: number, micro: number): Batch {
  const random = seededRandom(deriveSeed(seed, `sft:${step}:${micro}`));
  return fillBatch(() => examples[Math.floor(random() * examples.length)]!, batchSize, blockSize, packing);
}

/** Fixed validation batches: the examples in order (wrapping), at most `count` batches. */
export function sftEvalSet(examples: readonly Example[], batchSize: number, blockSize: number, packing: 'pad' | 'pack', count: number): Batch[] {
  let i = 0;
  const next = () => examples[i++ % examples.length]!;
  const batches = Math.min(count, Math.ceil(examples.length / batchSize));
  return Array.from({ length: batches }, () => fillBatch(next, batchSize, blockSize, packing));
}
