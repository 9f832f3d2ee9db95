// Which preference pairs are held out: every pair of a prompt goes the same way (hashing the prompt with
// the seed), so no held-out prompt was trained on through a sibling pair.
import { deriveSeed } from '../../../engine/rng.ts';
import type { Pair } from './read-pairs.ts';

export function holdOutByPrompt(pairs: readonly Pair[], seed: number, fraction: number): { train: Pair[]; heldOut: Pair[] } {
  const held = (pair: Pair) => deriveSeed(seed, `held-out ${JSON.stringify(pair.prompt)}`) / 2 ** 32 < fraction;
  return { train: pairs.filter((pair) => !held(pair)), heldOut: pairs.filter(held) };
}
