// The fused kernels a backend may register, by name and contract (inputs, attributes, outputs). The
// model and the optimiser call them when the backend has them; the native backend implements them.
// Both sides import this file, so the backend never imports the model. Every contract computes the
// same function as the composite ops beside its caller (model/gpt.ts, train/optim.ts), which tests compare.

/**
 * A backend may run x @ w + b for 2-D x in one kernel (the native backend does): inputs x (N, in),
 * w (in, out), b (out); output (N, out). tf.fused.matMul wraps its kernel in three reshapes to 3-D,
 * which cost more than the product when decoding one token.
 */
export const LINEAR_KERNEL = 'TempaLinear';

/**
 * A backend may run LayerNorm in one pass each way (the native backend does). Forward: inputs x (N, C),
 * weight, bias (C); attr eps; outputs [y (N, C), mean (N), rstd (N)], rstd = 1/sqrt(var + eps).
 * Gradient: inputs x, weight, mean, rstd, dy; outputs [dx, dweight, dbias]. Same math as the composite in model/gpt.ts.
 */
export const LAYER_NORM_KERNEL = 'TempaLayerNorm';

/**
 * A backend may compute GELU and its gradient in one pass each (the native backend does): input x (and
 * dy for the gradient), attrs c1 = GELU_SCALE * GELU_COEF and c2 = GELU_SCALE; the same function as
 * the composite in model/gpt.ts to float32 rounding.
 */
export const GELU_KERNEL = 'TempaGelu';

/**
 * A backend may run causal self-attention straight from the c_attn output (the native backend does).
 * Forward: input qkv (B*T, 3C) as [q | k | v], head h in columns h*hs..; attrs batch, heads; outputs
 * [y (B*T, C), heads merged as the c_proj input wants them, probs (B*nh, T, T)]. Gradient: inputs qkv,
 * probs, dy (B*T, C); output dqkv (B*T, 3C). Scale 1/sqrt(hs), position i attends to 0..i.
 */
export const ATTENTION_KERNEL = 'TempaAttention';

/**
 * A backend may also run attention with the KV cache in one kernel (the native backend does): inputs
 * qkv (B*t, 3C) of t new tokens per row, the caches k, v (S*nh, capacity, hs), slots and starts (B)
 * int32; attrs batch (B), heads, cached (columns already written); output y (B*t, C). The kernel writes
 * row b's new keys and values in place into slot slots[b] (slices slots[b]*nh + h) at columns
 * cached..cached+t-1, and its token i attends to that slot's columns starts[b]..cached+i: columns before
 * are left padding and get no weight. The caches are the only tensors a kernel may write in place, so
 * they belong to one KV cache and nothing else reads them; a generation uses this kernel or the composite throughout.
 */
export const CACHED_ATTENTION_KERNEL = 'TempaCachedAttention';

/**
 * A backend may compute the cross-entropy of model/gpt.ts lossFromLogits in one kernel each way (the native backend does). Forward: inputs
 * logits (N, V) float32, targets (N) int32, weights (N) float32 (0 where a row does not count); outputs
 * [loss scalar = sum of weight * (logsumexp - target logit), probs (N, V)]. Gradient: inputs probs,
 * targets, weights, dy (scalar); output (probs - onehot) * weight * dy.
 */
export const CROSS_ENTROPY_KERNEL = 'TempaCrossEntropy';

/**
 * A backend may fuse the update into one kernel (the native backend does): inputs p, g, m, v; attrs
 * consts = float32 [beta1, 1-beta1, beta2, 1-beta2, decay factor, sqrt(bias correction 2), eps, step
 * size, 0]; outputs p', m', v', equal bit for bit to the composite in model/gpt.ts.
 */
export const ADAMW_KERNEL = 'TempaAdamW';

/**
 * A backend may compute the global norm in one kernel (the native backend does, in double): inputs
 * named 0, 1, ... (float32); output the float32 scalar sqrt(sum of all their squares).
 */
export const GLOBAL_NORM_KERNEL = 'TempaGlobalNorm';
