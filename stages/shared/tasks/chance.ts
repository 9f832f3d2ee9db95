// The chance a uniformly random valid answer is right, per item: `evaluate` prints it beside each model so a
// score that guessing explains is seen as such. Each task declares its answer space in its own module; these
// are the counting helpers they share. Every space holds exactly one right answer, so chance = 1 / |space|.

/** Distinct orderings of `values` (a multinomial coefficient); Infinity when it overflows a double. */
export function arrangements(values: readonly unknown[]): number {
  const counts = new Map<unknown, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  // n! / prod(m!) built as a product of small ratios, so it stays exact while it fits.
  let result = 1;
  let placed = 0;
  for (const m of counts.values()) {
    for (let i = 1; i <= m; i++) {
      placed += 1;
      result = (result * placed) / i;
    }
  }
  return Math.round(result);
}

/**
 * The integers with the reference's sign and number of digits: 0-9 for one digit, 10-99 (or -99..-10) for two,
 * and so on. A guesser that knows how long the answer is picks one of them.
 */
export function sameDigitsChance(reference: string): number {
  const digits = reference.replace(/^-/, '').length;
  return digits <= 1 ? 1 / 10 : 1 / (9 * 10 ** (digits - 1));
}
