// The mean the training stages log their metrics with (rewards, KL, lengths): one definition, so that a
// metric over no values (no answer ended in this rollout) reads 0 in every curve rather than NaN in some.

export function mean(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return xs.length === 0 ? 0 : sum / xs.length;
}
