// Whitening of rewards and advantages, as TRL's masked_whiten (experimental/ppo/ppo_trainer.py):
// mean and Bessel-corrected (unbiased) variance over every valid entry, (x − mean)/sqrt(var + 1e-8),
// and shiftMean false adds the mean back. The N-details code uses the biased variance (`unbiased: false`).

export interface WhitenOptions {
  /** false keeps the mean (TRL whitens rewards with shift_mean=False). Default true. */
  shiftMean?: boolean;
  /** Bessel's correction, as TRL's masked_var. Default true. */
  unbiased?: boolean;
}

const EPS = 1e-8;

/** Whitens one list of numbers. Needs at least two values with the unbiased variance (TRL divides by n − 1). */
export function whiten(xs: readonly number[], options: WhitenOptions = {}): number[] {
  return whitenRows([xs], options)[0]!;
}

/**
 * Whitens a batch of variable-length rows together, as masked_whiten over a padded (B, T) tensor with
 * its mask: the statistics pool every entry of every row; an empty row stays empty.
 */
export function whitenRows(rows: readonly (readonly number[])[], options: WhitenOptions = {}): number[][] {
  const { shiftMean = true, unbiased = true } = options;
  let n = 0;
  let sum = 0;
  for (const row of rows) for (const x of row) (n++, (sum += x));
  const minimum = unbiased ? 2 : 1;
  if (n < minimum) {
    throw new Error(`whiten: ${n} value${n === 1 ? '' : 's'} to whiten; the ${unbiased ? 'unbiased' : 'biased'} variance needs at least ${minimum} (use a larger minibatch)`);
  }
  const mean = sum / n;
  let squares = 0;
  for (const row of rows) for (const x of row) squares += (x - mean) ** 2;
  const variance = squares / (unbiased ? n - 1 : n);
  const scale = 1 / Math.sqrt(variance + EPS);
  return rows.map((row) => row.map((x) => (x - mean) * scale + (shiftMean ? 0 : mean)));
}
