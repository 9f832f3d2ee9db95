// The unbiased pass@k estimator of Chen et al. 2021 (HumanEval, `estimate_pass_at_k`): the chance that
// at least one of k answers drawn without replacement from n sampled answers, c of them correct, is
// correct; 1 − C(n−c, k)/C(n, k), computed as a product so it neither overflows nor loses precision.

export function passAtK(n: number, c: number, k: number): number {
  if (![n, c, k].every(Number.isInteger) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new Error(`passAtK: need integers 0 <= c <= n and 1 <= k <= n, got n=${n} c=${c} k=${k}`);
  }
  if (n - c < k) return 1;
  let allWrong = 1; // prod over i in [n−c+1, n] of (1 − k/i)
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** pass@k averaged over problems, each given as [answers sampled, answers correct]. */
export function meanPassAtK(problems: readonly (readonly [number, number])[], k: number): number {
  if (problems.length === 0) throw new Error('meanPassAtK: no problems');
  return problems.reduce((sum, [n, c]) => sum + passAtK(n, c, k), 0) / problems.length;
}
