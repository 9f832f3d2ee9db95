// The update the shared training loop makes, for benchmarks that time a stage's step outside the loop:
// gradients of a loss, clipped to a global norm, then one AdamW step.
import type { Tensor, TF, Variable } from '../stages/shared/backend/tf.ts';
import { adamwStep, clipGradsByGlobalNorm, type AdamW } from '../stages/shared/train/optim.ts';

export function optimizerStep(tf: TF, opt: AdamW, params: Record<string, Variable>, loss: () => Tensor, { lr, maxNorm }: { lr: number; maxNorm: number }): void {
  const names = Object.keys(params);
  const { value, grads } = tf.variableGrads(loss as never, names.map((n) => params[n]!));
  const named = Object.fromEntries(names.map((n) => [n, grads[params[n]!.name]!]));
  clipGradsByGlobalNorm(tf, named, maxNorm);
  adamwStep(tf, opt, params, named, lr);
  value.dataSync();
  tf.dispose([value, ...Object.values(named)]);
}
