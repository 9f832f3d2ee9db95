// The learning-rate schedule of every training stage: nanoGPT's get_lr, a pure function of the step.
// Linear warm-up to `lr` over warmupSteps (starting at lr/(warmupSteps+1), never 0), then cosine decay
// to minLr at maxSteps, and minLr after that.

export interface LrSchedule {
  /** Peak learning rate, reached at step warmupSteps. */
  lr: number;
  warmupSteps: number;
  /** Step at which the cosine reaches minLr (nanoGPT's lr_decay_iters). */
  maxSteps: number;
  minLr: number;
}

export function learningRate(step: number, { lr, warmupSteps, maxSteps, minLr }: LrSchedule): number {
  if (step < warmupSteps) return (lr * (step + 1)) / (warmupSteps + 1);
  if (step >= maxSteps) return minLr;
  const decayRatio = (step - warmupSteps) / (maxSteps - warmupSteps);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * decayRatio)); // 1 -> 0
  return minLr + coeff * (lr - minLr);
}
