// Generation for any number of prompts of any lengths: one left-padded KV-cache batch of at most
// `maxBatch` rows at a time (all of them by default), prompts sorted by length first so that a batch
// pads little; results come back in prompt order.
import { generate, type DecodeModel, type Generation, type SampleOptions } from './sample.ts';

/** `decoderFor(rows)` opens one decoding session (a fresh KV cache) for that many rows. */
export function generateBatched(
  decoderFor: (rows: number) => DecodeModel,
  prompts: readonly (readonly number[])[],
  options: SampleOptions,
  random: () => number,
  maxBatch = Number.POSITIVE_INFINITY,
): Generation {
  const result: Generation = { tokens: new Array(prompts.length), finish: new Array(prompts.length) };
  if (options.logProbs) [result.logProbs, result.entropies] = [new Array(prompts.length), new Array(prompts.length)];
  // Sorting only matters when there is more than one batch; the sort is stable, so equal lengths keep prompt order.
  const order = prompts.map((_, i) => i);
  if (prompts.length > maxBatch) order.sort((a, b) => prompts[a]!.length - prompts[b]!.length);
  for (let start = 0; start < order.length; start += maxBatch) {
    const indices = order.slice(start, start + maxBatch);
    const decoder = decoderFor(indices.length);
    try {
      const out = generate(decoder, indices.map((i) => prompts[i]!), options, random);
      indices.forEach((promptIndex, row) => {
        result.tokens[promptIndex] = out.tokens[row]!;
        result.finish[promptIndex] = out.finish[row]!;
        if (result.logProbs) result.logProbs[promptIndex] = out.logProbs![row]!;
        if (result.entropies) result.entropies[promptIndex] = out.entropies![row]!;
      });
    } finally {
      decoder.dispose();
    }
  }
  return result;
}
