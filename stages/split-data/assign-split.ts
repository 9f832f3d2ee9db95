// Where a record goes, as a pure function of the seed and its key text: hashing instead of shuffling makes
// the split independent of record order and lets records that share a key land together.
import { createHash } from 'node:crypto';

export type SplitName = 'train' | 'valid' | 'test';

/** u in [0, 1): the first 8 bytes of sha256(`${seed}\n${keyText}`), big-endian, kept to 53 bits so it is exact. */
export function splitFraction(seed: number, keyText: string): number {
  const digest = createHash('sha256').update(`${seed}\n${keyText}`, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) >> 11n) / 2 ** 53;
}

export function assignSplit(seed: number, keyText: string, validFraction: number, testFraction: number): SplitName {
  const u = splitFraction(seed, keyText);
  if (u < validFraction) return 'valid';
  if (u < validFraction + testFraction) return 'test';
  return 'train';
}
