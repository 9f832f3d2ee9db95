// Training windows over a tokenised corpus held as one typed array: no per-token JS objects.
// Batches are drawn from a per-step seeded stream, so a resumed run draws the same batches.
import { deriveSeed, seededRandom } from '../../../engine/rng.ts';

export interface Batch {
  /** (B, T) input ids, row-major. */
  x: Int32Array;
  /** (B, T) next-token targets: x shifted left by one. */
  y: Int32Array;
  batchSize: number;
  blockSize: number;
}

/** Random windows of blockSize+1 tokens (nanoGPT get_batch). */
export function randomBatch(tokens: Int32Array, batchSize: number, blockSize: number, random: () => number): Batch {
  const windows = tokens.length - blockSize - 1;
  if (windows < 1) throw new Error(`corpus has ${tokens.length} tokens; a window of blockSize ${blockSize} needs at least ${blockSize + 2}`);
  const x = new Int32Array(batchSize * blockSize);
  const y = new Int32Array(batchSize * blockSize);
  for (let b = 0; b < batchSize; b++) {
    const start = Math.floor(random() * (windows + 1));
    x.set(tokens.subarray(start, start + blockSize), b * blockSize);
    y.set(tokens.subarray(start + 1, start + blockSize + 1), b * blockSize);
  }
  return { x, y, batchSize, blockSize };
}

export function batchForStep(tokens: Int32Array, batchSize: number, blockSize: number, seed: number, step: number, micro = 0): Batch {
  return randomBatch(tokens, batchSize, blockSize, seededRandom(deriveSeed(seed, `train:${step}:${micro}`)));
}

/**
 * Evaluation batches that never change between evaluations (fixed seed), so validation losses
 * at different steps are comparable.
 */
export function evalBatches(tokens: Int32Array, batchSize: number, blockSize: number, count: number, seed: number): Batch[] {
  const random = seededRandom(deriveSeed(seed, 'eval'));
  return Array.from({ length: count }, () => randomBatch(tokens, batchSize, blockSize, random));
}
