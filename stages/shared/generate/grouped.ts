// Generation for prompts of any lengths: groups them by token length (the sampler batches equal
// lengths), shortest first, at most `maxBatch` rows per KV cache, and returns results in prompt order.
import { generate, type DecodeModel, type Generation, type SampleOptions } from './sample.ts';

/** `decoderFor(rows)` opens one decoding session (a fresh KV cache) for that many rows. */
export function generateGrouped(
  decoderFor: (rows: number) => DecodeModel,
  prompts: readonly (readonly number[])[],
  options: SampleOptions,
  random: () => number,
  maxBatch = Number.POSITIVE_INFINITY,
): Generation {
  const result: Generation = { tokens: new Array(prompts.length), finish: new Array(prompts.length) };
  if (options.logProbs) result.logProbs = new Array(prompts.length);
  const byLength = new Map<number, number[]>();
  prompts.forEach((ids, i) => byLength.set(ids.length, [...(byLength.get(ids.length) ?? []), i]));
  for (const [, group] of [...byLength].sort((a, b) => a[0] - b[0])) {
    for (let start = 0; start < group.length; start += maxBatch) {
      const indices = group.slice(start, start + maxBatch);
      const decoder = decoderFor(indices.length);
      try {
        const out = generate(decoder, indices.map((i) => prompts[i]!), options, random);
        indices.forEach((promptIndex, row) => {
          result.tokens[promptIndex] = out.tokens[row]!;
          if (result.logProbs) result.logProbs[promptIndex] = out.logProbs![row]!;
          result.finish[promptIndex] = out.finish[row]!;
        });
      } finally {
        decoder.dispose();
      }
    }
  }
  return result;
}
