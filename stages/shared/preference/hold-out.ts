// The training and held-out pairs of a preference stage: its `pairs` input, and either its `heldOut`
// input or the pairs of a share of prompts (hashing the prompt with the seed, so every pair of a prompt
// goes the same way and no held-out prompt was trained on through a sibling pair).
import path from 'node:path';
import { PipelineError } from '../../../engine/errors.ts';
import { deriveSeed } from '../../../engine/rng.ts';
import type { StageContext } from '../../../engine/stage.ts';
import { readPairs, type Pair } from './read-pairs.ts';

export function holdOutByPrompt(pairs: readonly Pair[], seed: number, fraction: number): { train: Pair[]; heldOut: Pair[] } {
  const held = (pair: Pair) => deriveSeed(seed, `held-out ${JSON.stringify(pair.prompt)}`) / 2 ** 32 < fraction;
  return { train: pairs.filter((pair) => !held(pair)), heldOut: pairs.filter(held) };
}

export async function trainAndHeldOutPairs(ctx: StageContext, p: { onMalformed: 'error' | 'skip'; validFraction: number }): Promise<{ train: Pair[]; heldOut: Pair[]; skipped: number }> {
  const options = { onMalformed: p.onMalformed, displayName: (f: string) => path.relative(ctx.recipeDir, f), signal: ctx.signal };
  const read = await readPairs(ctx.inputs.pairs!.files, options);
  const given = ctx.inputs.heldOut ? await readPairs(ctx.inputs.heldOut.files, options) : undefined;
  const { train, heldOut } = given ? { train: read.pairs, heldOut: given.pairs } : holdOutByPrompt(read.pairs, ctx.seed, p.validFraction);
  if (train.length === 0 || heldOut.length === 0) {
    throw new PipelineError('DATA_INVALID', `${ctx.stage} needs training and held-out pairs; got ${train.length} and ${heldOut.length}`, {
      hint: 'make more pairs (make-preferences prompts/samples), or bind a `heldOut` input',
    });
  }
  return { train, heldOut, skipped: read.skipped + (given?.skipped ?? 0) };
}
