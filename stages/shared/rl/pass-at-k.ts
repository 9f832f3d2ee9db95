// pass@k: the chance that at least one of k answers drawn from n sampled answers (c of them correct) is
// correct. `evaluate` reports it from sampled answers; GRPO will report it on its rollouts.
// Chen et al. 2021 ("Evaluating Large Language Models Trained on Code", fig. 3): the unbiased estimator
// 1 - C(n-c, k) / C(n, k), computed as the product 1 - prod_{i=n-c+1}^{n} (1 - k/i), which never forms
// the binomials (they overflow a double for n in the hundreds).

/** Unbiased pass@k for one prompt: n sampled answers, c of them correct, 1 <= k <= n. */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`pass@k needs n >= 1 samples, got ${n}`);
  if (!Number.isInteger(c) || c < 0 || c > n) throw new RangeError(`pass@k needs 0 <= c <= n (n ${n}), got c ${c}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`pass@k needs 1 <= k <= n (n ${n}), got k ${k}`);
  // Fewer wrong answers than k: every draw of k holds a correct one.
  if (n - c < k) return 1;
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** Mean pass@k over prompts for k = 1..min(maxK, n), from each prompt's count of correct answers out of n. */
export function meanPassAtK(correctCounts: readonly number[], n: number, maxK = 8): number[] {
  const ks = Array.from({ length: Math.min(maxK, n) }, (_, i) => i + 1);
  if (correctCounts.length === 0) return ks.map(() => 0);
  return ks.map((k) => correctCounts.reduce((sum, c) => sum + passAtK(n, c, k), 0) / correctCounts.length);
}
