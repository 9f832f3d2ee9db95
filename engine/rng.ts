// Seeded random numbers for stages: the same seed gives the same stream on every machine.
import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export function seededRandom(seed: number): () => number {
  const rng = xoroshiro128plus(seed);
  return () => uniformFloat64(rng);
}

/**
 * An independent seed for one purpose of a run (a parameter's init, a step's batch, a task's items):
 * adding or reordering purposes never shifts the others' streams.
 */
export function deriveSeed(seed: number, label: string): number {
  return createHash('sha256').update(`${seed}\n${label}`, 'utf8').digest().readUInt32LE(0);
}
