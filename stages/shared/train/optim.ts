// AdamW and gradient clipping for every training stage, with state that checkpoints can save and
// restore exactly. Variant: PyTorch torch.optim.AdamW (Loshchilov & Hutter 2019): decoupled weight
// decay p <- p * (1 - lr * weightDecay) applied before the Adam step, bias-corrected moments, eps added
// to sqrt(v_hat). As in nanoGPT's configure_optimizers, only tensors with >= 2 dims decay (matmul weights
// and embeddings); biases and norm weights do not. Defaults are nanoGPT's (beta2 0.95, weightDecay 0.1).
import type { NamedTensor } from '../model/safetensors.ts';
import { ADAMW_KERNEL, GLOBAL_NORM_KERNEL } from '../backend/contracts.ts';
import type { TF, Tensor, Variable } from '../backend/tf.ts';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

/** nanoGPT's rule: decay matmul weights and embeddings (>= 2-D), never biases or norm gains (1-D). */
export function shouldDecay(_name: string, shape: readonly number[]): boolean {
  return shape.length >= 2;
}

export interface AdamW {
  config: AdamWConfig;
  /** Updates taken so far; the bias corrections use it. */
  step: number;
  /** First and second moments (PyTorch's exp_avg and exp_avg_sq), by parameter name. */
  m: Record<string, Variable>;
  v: Record<string, Variable>;
}

export function createAdamW(tf: TF, params: Record<string, Variable>, config: Partial<AdamWConfig> = {}): AdamW {
  const m: Record<string, Variable> = {};
  const v: Record<string, Variable> = {};
  for (const [name, p] of Object.entries(params)) {
    m[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    v[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
  }
  return { config: { ...ADAMW_DEFAULTS, ...config }, step: 0, m, v };
}

/** One AdamW update of every parameter that has a gradient. Does not dispose `grads`. */
export function adamwStep(tf: TF, opt: AdamW, params: Record<string, Variable>, grads: Record<string, Tensor>, lr: number): void {
  const { beta1, beta2, eps, weightDecay } = opt.config;
  opt.step += 1;
  const biasCorrection1 = 1 - beta1 ** opt.step;
  const biasCorrection2 = 1 - beta2 ** opt.step;
  const stepSize = lr / biasCorrection1;
  const fused = tf.getKernel(ADAMW_KERNEL, tf.getBackend()) !== undefined;
  tf.tidy(() => {
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name];
      if (!g) continue; // frozen or unused parameter
      const m = opt.m[name]!;
      const v = opt.v[name]!;
      const decay = shouldDecay(name, p.shape) && weightDecay > 0 ? 1 - lr * weightDecay : 1;
      if (fused && p.dtype === 'float32' && g.dtype === 'float32') {
        const consts = Float32Array.of(beta1, 1 - beta1, beta2, 1 - beta2, decay, Math.sqrt(biasCorrection2), eps, stepSize, 0);
        const [p1, m1, v1] = tf.engine().runKernel(ADAMW_KERNEL, { p, g, m, v }, { consts } as never) as Tensor[];
        m.assign(m1!);
        v.assign(v1!);
        p.assign(p1!);
        continue;
      }
      m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
      v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
      const decayed = decay === 1 ? p : tf.mul(p, decay);
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(biasCorrection2)), eps);
      p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize)));
    }
  });
}

/** Guards the clip coefficient against a zero norm, as torch.nn.utils.clip_grad_norm_. */
const CLIP_EPS = 1e-6;

/**
 * Scales all gradients together so their global L2 norm is at most maxNorm (in place: each replaced
 * tensor is disposed). Returns the norm before clipping, for the step log.
 */
export function clipGradsByGlobalNorm(tf: TF, grads: Record<string, Tensor>, maxNorm: number): number {
  const tensors = Object.values(grads);
  if (tensors.length === 0) return 0;
  const fused = tf.getKernel(GLOBAL_NORM_KERNEL, tf.getBackend()) !== undefined && tensors.every((g) => g.dtype === 'float32');
  const normTensor = fused
    ? (tf.engine().runKernel(GLOBAL_NORM_KERNEL, Object.fromEntries(tensors.map((g, i) => [String(i), g]))) as Tensor)
    : tf.tidy(() => tf.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.square(g))))));
  const norm = normTensor.dataSync()[0]!;
  normTensor.dispose();
  const clipCoef = maxNorm / (norm + CLIP_EPS);
  if (clipCoef < 1) {
    for (const [name, g] of Object.entries(grads)) {
      grads[name] = tf.mul(g, clipCoef);
      g.dispose();
    }
  }
  return norm;
}

/** The optimizer state as plain arrays: `step`, `exp_avg.<param>` and `exp_avg_sq.<param>` (PyTorch names). */
export function exportOptimizerState(opt: AdamW): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = { step: { dtype: 'I32', shape: [], data: Int32Array.of(opt.step) } };
  for (const [name, m] of Object.entries(opt.m)) {
    // slice(): on the cpu backend dataSync returns the tensor's own storage.
    out[`exp_avg.${name}`] = { dtype: 'F32', shape: [...m.shape], data: (m.dataSync() as Float32Array).slice() };
    out[`exp_avg_sq.${name}`] = { dtype: 'F32', shape: [...opt.v[name]!.shape], data: (opt.v[name]!.dataSync() as Float32Array).slice() };
  }
  return out;
}

/** Rebuilds an optimizer from exportOptimizerState's output, so a resumed run takes the same steps. */
export function importOptimizerState(tf: TF, params: Record<string, Variable>, saved: Record<string, NamedTensor>, config: Partial<AdamWConfig> = {}): AdamW {
  const opt = createAdamW(tf, params, config);
  const step = saved.step;
  if (!step) throw new Error('optimizer state has no `step`');
  opt.step = Number(step.data[0]);
  for (const [name, p] of Object.entries(params)) {
    for (const [key, target] of [
      [`exp_avg.${name}`, opt.m[name]!],
      [`exp_avg_sq.${name}`, opt.v[name]!],
    ] as const) {
      const t = saved[key];
      if (!t || t.shape.join() !== p.shape.join()) throw new Error(`optimizer state: ${t ? `${key} has shape [${t.shape}], expected [${p.shape}]` : `missing ${key}`}`);
      tf.tidy(() => target.assign(tf.tensor(Float32Array.from(t.data), p.shape, 'float32')));
    }
  }
  return opt;
}

export function disposeAdamW(opt: AdamW): void {
  for (const t of [...Object.values(opt.m), ...Object.values(opt.v)]) t.dispose();
}
