// The GPT every training stage builds on: a decoder-only transformer in TensorFlow.js that reads like
// nanoGPT's model.py. One file on purpose (STYLE §6): init, attention, mlp, block, loss, decode (config: config.ts).
//
// Follows:
//   - Radford et al. 2019, "Language Models are Unsupervised Multitask Learners" (GPT-2): pre-norm blocks,
//     final LayerNorm, init N(0, 0.02) with residual projections scaled by 1/sqrt(2 * nLayer).
//   - Vaswani et al. 2017 (causal multi-head attention); Hendrycks & Gimpel 2016 (GELU, tanh form).
//   - Press & Wolf 2017 (tied input/output embeddings); Su et al. 2021 (RoPE, optional `positions: rotary`).
//   - karpathy/nanoGPT model.py (structure, init, weight-decay groups), karpathy/nanochat gpt.py (KV cache),
//     HF transformers GPT2LMHeadModel (parameter names, and (in, out) layouts of c_attn/c_proj/c_fc).
// Departures: GELU's tanh approximation is computed as x·sigmoid(2u), the same function, because sigmoid
// is an XNNPACK kernel on wasm and tanh is not (18x slower). Activations stay 2-D (B*T, C) between blocks
// and attention runs as 3-D batched matMuls over (nh*B, T, hs); no 5-D tensors. linear, layerNorm, gelu,
// attention and the loss have written-out gradients (the role of PyTorch's fused kernels), so backprop
// keeps one or two tensors per op. Cross-entropy takes the log-sum-exp from the softmax (lossFromLogits).
// Targets < 0 are ignored, as nanochat's ignore_index. A backend may register fused kernels for linear,
// LayerNorm, GELU, attention and the loss (training and KV-cache decoding; contracts in backend/contracts.ts), which the native backend does; the
// composite code is then only the reference (tests compare the two) and the path for other backends.
import { deriveSeed } from '../../../engine/rng.ts';
import type { NamedTensor } from './safetensors.ts';
import { ATTENTION_KERNEL, CACHED_ATTENTION_KERNEL, CROSS_ENTROPY_KERNEL, GELU_KERNEL, LAYER_NORM_KERNEL, LINEAR_KERNEL } from '../backend/contracts.ts';
import type { TF, Tensor, Variable } from '../backend/tf.ts';
import type { GPTConfig } from './config.ts';


const LN_EPS = 1e-5; // PyTorch LayerNorm default
const INIT_STD = 0.02;
const GELU_COEF = 0.044715;
const ROPE_BASE = 10000;
const MASKED = -1e9; // additive bias for future positions: exp underflows to exactly 0

/** Parameters by HF GPT-2 name; each saves to safetensors as is. */
export type GPTParams = Record<string, Variable>;

/** Every parameter's name and shape, in HF GPT-2 order. Linear weights are (in, out), as HF Conv1D. */
export function paramShapes(config: GPTConfig): Record<string, number[]> {
  const { vocabSize: V, blockSize, nLayer, nEmbd: C } = config;
  const shapes: Record<string, number[]> = { 'wte.weight': [V, C] };
  if (config.positions === 'learned') shapes['wpe.weight'] = [blockSize, C];
  for (let l = 0; l < nLayer; l++) {
    const h = `h.${l}`;
    Object.assign(shapes, {
      [`${h}.ln_1.weight`]: [C],
      [`${h}.ln_1.bias`]: [C],
      [`${h}.attn.c_attn.weight`]: [C, 3 * C],
      [`${h}.attn.c_attn.bias`]: [3 * C],
      [`${h}.attn.c_proj.weight`]: [C, C],
      [`${h}.attn.c_proj.bias`]: [C],
      [`${h}.ln_2.weight`]: [C],
      [`${h}.ln_2.bias`]: [C],
      [`${h}.mlp.c_fc.weight`]: [C, 4 * C],
      [`${h}.mlp.c_fc.bias`]: [4 * C],
      [`${h}.mlp.c_proj.weight`]: [4 * C, C],
      [`${h}.mlp.c_proj.bias`]: [C],
    });
  }
  shapes['ln_f.weight'] = [C];
  shapes['ln_f.bias'] = [C];
  if (!config.tieWeights) shapes['lm_head.weight'] = [V, C]; // (V, C) like HF nn.Linear
  return shapes;
}

/** GPT-2 init: N(0, 0.02), residual projections N(0, 0.02/sqrt(2*nLayer)), biases 0, norm weights 1. */
export function initGPT(tf: TF, config: GPTConfig, seed: number): GPTParams {
  const params: GPTParams = {};
  const residualStd = INIT_STD / Math.sqrt(2 * config.nLayer);
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    params[name] = tf.tidy(() => {
      let value: Tensor;
      if (/ln_\w+\.weight$/.test(name)) value = tf.ones(shape);
      else if (name.endsWith('.bias')) value = tf.zeros(shape);
      else value = tf.randomNormal(shape, 0, name.endsWith('c_proj.weight') ? residualStd : INIT_STD, 'float32', deriveSeed(seed, name)); // per parameter: adding one never reshuffles the others
      return tf.variable(value, true);
    });
  }
  return params;
}


export function countParams(params: Record<string, Tensor>): number {
  return Object.values(params).reduce((total, p) => total + p.size, 0);
}

function param(params: GPTParams, name: string): Variable {
  const p = params[name];
  if (!p) throw new Error(`GPT parameter \`${name}\` is missing`);
  return p;
}

// ---------------------------------------------------------------------------------------------- layers

/** customGrad's callback receives the inputs followed by `save`; this unpacks them with types. */
type Saver = (tensors: Tensor[]) => void;
function unpack(args: unknown[]): [Tensor[], Saver] {
  return [args.slice(0, -1) as Tensor[], args[args.length - 1] as Saver];
}

type CustomOp = Parameters<TF['customGrad']>[0];

/**
 * tf.customGrad(f), except that outside a gradient computation (sampling, evaluation) f runs in a plain
 * tidy: customGrad's bookkeeping cost more than the kernels when decoding one token.
 */
function customOp(tf: TF, f: CustomOp): (...inputs: Tensor[]) => Tensor {
  return (...inputs) => {
    if (tf.engine().state.gradientDepth > 0) return tf.customGrad(f)(...inputs);
    return tf.tidy(() => (f as (...args: unknown[]) => { value: Tensor })(...inputs, () => {}).value);
  };
}

/**
 * x @ w + b for x (N, in), w (in, out): one fused XNNPACK call on wasm. The gradient keeps only x and w
 * (tf.fused.matMul's own gradient also keeps the output).
 */
function linear(tf: TF, x: Tensor, w: Tensor, b: Tensor): Tensor {
  const direct = x.rank === 2 && x.dtype === 'float32' && tf.getKernel(LINEAR_KERNEL, tf.getBackend()) !== undefined;
  const op = customOp(tf, (...args) => {
    const [[x, w, b], save] = unpack(args);
    save([x!, w!]);
    return {
      value: direct ? (tf.engine().runKernel(LINEAR_KERNEL, { x: x!, w: w!, b: b! }) as Tensor) : tf.fused.matMul({ a: x as never, b: w as never, bias: b }), // (N, out)
      gradFunc: (dy: Tensor, [x, w]: Tensor[]) => [tf.matMul(dy, w!, false, true), tf.matMul(x!, dy, true, false), tf.sum(dy, 0)],
    };
  });
  return op(x, w, b);
}

/**
 * LayerNorm over the last axis of x (N, C), with its gradient written out (llm.c layernorm_backward):
 * it saves only x_hat and 1/std, where autodiff would keep every intermediate for backprop.
 */
function layerNorm(tf: TF, x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  if (x.dtype === 'float32' && x.rank === 2 && tf.getKernel(LAYER_NORM_KERNEL, tf.getBackend())) {
    const fused = customOp(tf, (...args) => {
      const [[x, w, b], save] = unpack(args);
      const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x: x!, weight: w!, bias: b! }, { eps: LN_EPS } as never) as Tensor[];
      save([x!, w!, mean!, rstd!]);
      return {
        value: y!,
        gradFunc: (dy: Tensor, [x, weight, mean, rstd]: Tensor[]) => tf.engine().runKernel(LAYER_NORM_KERNEL, { x: x!, weight: weight!, mean: mean!, rstd: rstd!, dy }) as Tensor[],
      };
    });
    return fused(x, weight, bias);
  }
  const op = customOp(tf, (...args) => {
    const [[x, w, b], save] = unpack(args);
    const mean = tf.mean(x!, -1, true); // (N, 1)
    const centered = tf.sub(x!, mean); // (N, C)
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), LN_EPS)); // (N, 1)
    const xhat = tf.mul(centered, rstd); // (N, C)
    save([xhat, rstd, w!]);
    return {
      value: tf.add(tf.mul(xhat, w!), b!),
      gradFunc: (dy: Tensor, [xhat, rstd, w]: Tensor[]) => tf.tidy(() => {
        const dxhat = tf.mul(dy, w!); // (N, C)
        // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), all means over C
        const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xhat!, tf.mean(tf.mul(dxhat, xhat!), -1, true))), rstd!);
        return [dx, tf.sum(tf.mul(dy, xhat!), 0), tf.sum(dy, 0)]; // (N, C), (C), (C)
      }),
    };
  });
  return op(x, weight, bias);
}

const GELU_SCALE = 2 * Math.sqrt(2 / Math.PI);

/**
 * GPT-2's tanh GELU: 0.5x(1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715x^3), computed as x*sigmoid(2u) (the
 * same function). The gradient recomputes the sigmoid from x, so only x is kept for backprop.
 */
function gelu(tf: TF, x: Tensor): Tensor {
  if (x.dtype === 'float32' && tf.getKernel(GELU_KERNEL, tf.getBackend())) {
    const attrs = { c1: GELU_SCALE * GELU_COEF, c2: GELU_SCALE } as never;
    const fused = customOp(tf, (...args) => {
      const [[x], save] = unpack(args);
      save([x!]);
      return {
        value: tf.engine().runKernel(GELU_KERNEL, { x: x! }, attrs) as Tensor,
        gradFunc: (dy: Tensor, [x]: Tensor[]) => tf.engine().runKernel(GELU_KERNEL, { x: x!, dy }, attrs) as Tensor,
      };
    });
    return fused(x);
  }
  const op = customOp(tf, (...args) => {
    const [[x], save] = unpack(args);
    const s = tf.sigmoid(tf.mul(x!, tf.add(tf.mul(tf.square(x!), GELU_SCALE * GELU_COEF), GELU_SCALE))); // sigmoid(2u)
    save([x!]);
    return {
      value: tf.mul(x!, s),
      gradFunc: (dy: Tensor, [x]: Tensor[]) => tf.tidy(() => {
        const x2 = tf.square(x!);
        const s = tf.sigmoid(tf.mul(x!, tf.add(tf.mul(x2, GELU_SCALE * GELU_COEF), GELU_SCALE)));
        const du = tf.add(tf.mul(x2, 3 * GELU_SCALE * GELU_COEF), GELU_SCALE); // d(2u)/dx
        // d/dx x s(2u) = s + x s (1 - s) d(2u)/dx
        return tf.mul(dy, tf.add(s, tf.mul(tf.mul(x!, tf.mul(s, tf.sub(1, s))), du)));
      }),
    };
  });
  return op(x);
}

function fusedSelfAttention(tf: TF, qkv: Tensor, B: number, nh: number): Tensor {
  const attrs = { batch: B, heads: nh } as never;
  const op = customOp(tf, (...args) => {
    const [[qkv], save] = unpack(args);
    const [y, probs] = tf.engine().runKernel(ATTENTION_KERNEL, { qkv: qkv! }, attrs) as Tensor[];
    save([qkv!, probs!]);
    return {
      value: y!, // (B*T, C)
      gradFunc: (dy: Tensor, [qkv, probs]: Tensor[]) => tf.engine().runKernel(ATTENTION_KERNEL, { qkv: qkv!, probs: probs!, dy }, attrs) as Tensor,
    };
  });
  return op(qkv);
}

/**
 * softmax(q k^T / sqrt(hs) + bias) v for q (BH, T, hs), k and v (BH, Tk, hs): PyTorch's
 * scaled_dot_product_attention with an additive mask. The gradient is written out so the only (T, Tk)
 * tensor kept for backprop is the attention itself.
 */
function scaledDotProductAttention(tf: TF, q: Tensor, k: Tensor, v: Tensor, bias: Tensor): Tensor {
  const scale = 1 / Math.sqrt(q.shape[2]!);
  const op = customOp(tf, (...args) => {
    const [[q, k, v], save] = unpack(args);
    const qs = tf.mul(q!, scale); // (BH, T, hs): scaling q is cheaper than scaling the scores
    const att = tf.softmax(tf.add(tf.matMul(qs, k!, false, true), bias)); // (BH, T, Tk)
    save([qs, k!, v!, att]);
    return {
      value: tf.matMul(att, v!), // (BH, T, hs)
      gradFunc: (dy: Tensor, [qs, k, v, att]: Tensor[]) => tf.tidy(() => {
        const dv = tf.matMul(att!, dy, true, false); // (BH, Tk, hs)
        const datt = tf.matMul(dy, v!, false, true); // (BH, T, Tk)
        const dscores = tf.mul(att!, tf.sub(datt, tf.sum(tf.mul(datt, att!), -1, true))); // softmax backward
        const dq = tf.mul(tf.matMul(dscores, k!), scale); // (BH, T, hs)
        const dk = tf.matMul(dscores, qs!, true, false); // (BH, Tk, hs)
        return [dq, dk, dv];
      }),
    };
  });
  return op(q, k, v);
}

/** Additive causal bias (T, Tk) for T queries at absolute positions offset..offset+T-1 over Tk keys. */
function causalBias(tf: TF, T: number, Tk: number, offset: number): Tensor {
  const bias = new Float32Array(T * Tk);
  for (let i = 0; i < T; i++) bias.fill(MASKED, i * Tk + offset + i + 1, (i + 1) * Tk);
  return tf.tensor2d(bias, [T, Tk]);
}

/**
 * Additive bias (nh*B, T, Tk) for a left-padded batch: row b's query at column offset+i sees its keys
 * starts[b]..offset+i. A padding query sees none; its softmax is then uniform garbage that no real
 * position reads, because no query of the row attends to columns before starts[b].
 */
function paddedCausalBias(tf: TF, nh: number, T: number, Tk: number, offset: number, starts: Int32Array): Tensor {
  const B = starts.length;
  const bias = new Float32Array(B * T * Tk).fill(MASKED);
  for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) bias.fill(0, (b * T + i) * Tk + starts[b]!, (b * T + i) * Tk + offset + i + 1);
  return tf.tile(tf.tensor3d(bias, [B, T, Tk]), [nh, 1, 1]); // (B, T, Tk) -> (nh*B, T, Tk), index h*B + b as the heads
}

/** Row b's position at column offset+t: counted from its first real token (padding columns get 0). */
function paddedPositions(B: number, T: number, offset: number, starts: Int32Array): Int32Array {
  const positions = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) positions[b * T + t] = Math.max(0, offset + t - starts[b]!);
  return positions;
}

/**
 * RoPE tables for positions offset..offset+T-1, rotate-half layout (GPT-NeoX, LLaMA): (T, hs), or
 * (nh*B, T, hs) for a left-padded batch's per-row positions (B*T, laid out as paddedPositions).
 */
function ropeTables(tf: TF, T: number, hs: number, offset: number, padded?: { positions: Int32Array; nh: number }): { cos: Tensor; sin: Tensor; rotate: Tensor } {
  const half = hs / 2;
  const rows = padded ? padded.positions.length : T;
  const cos = new Float32Array(rows * hs);
  const sin = new Float32Array(rows * hs);
  for (let t = 0; t < rows; t++) {
    const position = padded ? padded.positions[t]! : offset + t;
    for (let i = 0; i < hs; i++) {
      const angle = position / ROPE_BASE ** ((2 * (i % half)) / hs);
      cos[t * hs + i] = Math.cos(angle);
      sin[t * hs + i] = Math.sin(angle);
    }
  }
  // rotate_half(x) = [-x2, x1] as a fixed (hs, hs) matrix: a matMul is cheap and differentiable on every backend.
  const rotate = new Float32Array(hs * hs);
  for (let j = 0; j < half; j++) {
    rotate[(j + half) * hs + j] = -1;
    rotate[j * hs + j + half] = 1;
  }
  const table = (values: Float32Array) => (padded ? tf.tile(tf.tensor3d(values, [rows / T, T, hs]), [padded.nh, 1, 1]) : tf.tensor2d(values, [T, hs])); // (nh*B, T, hs) or (T, hs)
  return { cos: table(cos), sin: table(sin), rotate: tf.tensor2d(rotate, [hs, hs]) };
}

function applyRope(tf: TF, x: Tensor, rope: { cos: Tensor; sin: Tensor; rotate: Tensor }): Tensor {
  const [BH, T, hs] = x.shape as [number, number, number];
  const flat = tf.reshape(x, [BH * T, hs]); // (nh*B*T, hs)
  const rotated = tf.reshape(tf.matMul(flat, rope.rotate), [BH, T, hs]); // (nh*B, T, hs)
  return tf.add(tf.mul(x, rope.cos), tf.mul(rotated, rope.sin));
}

/** Per-forward constants shared by every layer. */
interface Context {
  B: number;
  T: number;
  /** Absolute position of the first query (the KV cache length). */
  offset: number;
  bias: Tensor;
  rope?: { cos: Tensor; sin: Tensor; rotate: Tensor };
  /** A left-padded batch: each row's first real column (B) int32, and its positions (B*T) for wpe. */
  padded?: { starts: Tensor; positions: Tensor };
  /** KV-cache decoding with the fused kernel: each row's slot in the caches and first real column, (B) int32. */
  cacheRows?: { slots: Tensor; starts: Tensor; bound: number };
}

/**
 * One layer's cached keys and values, (nh*B, Tcache, hs) each. With the fused kernel they are instead
 * preallocated (S*nh, capacity, hs), slot-major (index slot*nh + h), and written in place.
 */
export interface LayerCache {
  k: Tensor | null;
  v: Tensor | null;
  inPlace?: boolean;
}

/** Columns a fused cache is first given beyond what it needs now: a generation of that many tokens never regrows it. */
const CACHE_HEADROOM = 64;

/**
 * The layer's in-place caches with room for `needed` columns: allocated on the first call (room for
 * CACHE_HEADROOM more), doubled (up to `bound`, the most any row can use) when full, keeping what they hold.
 */
function reserveColumns(tf: TF, cache: LayerCache, slices: number, hs: number, needed: number, bound: number): void {
  const capacity = cache.k?.shape[1] ?? 0;
  if (cache.k && needed <= capacity) return;
  const grown = Math.min(bound, Math.max(needed + (cache.k ? 0 : CACHE_HEADROOM), 2 * capacity));
  const resize = (t: Tensor | null) => tf.keep(t ? tf.pad(t, [[0, 0], [0, grown - capacity], [0, 0]]) : tf.zeros([slices, grown, hs]));
  Object.assign(cache, { k: resize(cache.k), v: resize(cache.v), inPlace: true }); // forwardStep disposes the outgrown ones
}

/**
 * Why this config leaves the backend's fused kernels for the composite ops (slower, same function), so a
 * stage can say so instead of silently running slow: empty when every fused kernel applies.
 */
export function compositeFallbacks(tf: TF, config: GPTConfig): string[] {
  const fused = tf.getKernel(ATTENTION_KERNEL, tf.getBackend()) !== undefined;
  return fused && config.positions === 'rotary' ? ['rotary positions: attention runs on the composite ops (the fused attention kernels have no RoPE)'] : [];
}

function attention(tf: TF, params: GPTParams, config: GPTConfig, l: number, x: Tensor, ctx: Context, cache?: LayerCache): Tensor {
  const { nHead: nh, nEmbd: C } = config;
  const { B, T } = ctx;
  const hs = C / nh;
  const qkv = linear(tf, x, param(params, `h.${l}.attn.c_attn.weight`), param(params, `h.${l}.attn.c_attn.bias`)); // (B*T, 3C)
  const cProj = (y: Tensor) => linear(tf, y, param(params, `h.${l}.attn.c_proj.weight`), param(params, `h.${l}.attn.c_proj.bias`)); // (B*T, C)
  const fusable = !ctx.rope && qkv.dtype === 'float32';
  if (!cache && fusable && tf.getKernel(ATTENTION_KERNEL, tf.getBackend())) return cProj(fusedSelfAttention(tf, qkv, B, nh));
  if (cache && ctx.cacheRows && fusable && tf.getKernel(CACHED_ATTENTION_KERNEL, tf.getBackend())) {
    const { slots, starts, bound } = ctx.cacheRows;
    reserveColumns(tf, cache, B * nh, hs, ctx.offset + T, bound); // the first call has every row: B slots
    const inputs = { qkv, k: cache.k!, v: cache.v!, slots, starts };
    const y = tf.engine().runKernel(CACHED_ATTENTION_KERNEL, inputs, { batch: B, heads: nh, cached: ctx.offset } as never) as Tensor; // (B*T, C)
    return cProj(y);
  }
  const heads = tf.transpose(tf.reshape(qkv, [B * T, 3 * nh, hs]), [1, 0, 2]); // (B*T, 3nh, hs) -> (3nh, B*T, hs)
  // Heads and batch share the leading axis (index h*B + b), so attention is one 3-D batched matMul.
  let [q, k, v] = tf.split(heads, 3, 0).map((t) => tf.reshape(t, [nh * B, T, hs])) as [Tensor, Tensor, Tensor]; // (nh, B*T, hs) -> (nh*B, T, hs)
  if (ctx.rope) {
    q = applyRope(tf, q, ctx.rope);
    k = applyRope(tf, k, ctx.rope);
  }
  if (cache) {
    if (cache.k && cache.v) {
      k = tf.concat([cache.k, k], 1); // (nh*B, Tk, hs)
      v = tf.concat([cache.v, v], 1); // (nh*B, Tk, hs)
    }
    cache.k = tf.keep(k);
    cache.v = tf.keep(v);
  }
  const y = scaledDotProductAttention(tf, q, k, v, ctx.bias); // (nh*B, T, hs)
  const merged = tf.transpose(tf.reshape(y, [nh, B * T, hs]), [1, 0, 2]); // (nh, B*T, hs) -> (B*T, nh, hs)
  return cProj(tf.reshape(merged, [B * T, C]));
}

function mlp(tf: TF, params: GPTParams, l: number, x: Tensor): Tensor {
  const h = gelu(tf, linear(tf, x, param(params, `h.${l}.mlp.c_fc.weight`), param(params, `h.${l}.mlp.c_fc.bias`))); // (B*T, 4C)
  return linear(tf, h, param(params, `h.${l}.mlp.c_proj.weight`), param(params, `h.${l}.mlp.c_proj.bias`)); // (B*T, C)
}

function block(tf: TF, params: GPTParams, config: GPTConfig, l: number, x: Tensor, ctx: Context, cache?: LayerCache): Tensor {
  const norm1 = layerNorm(tf, x, param(params, `h.${l}.ln_1.weight`), param(params, `h.${l}.ln_1.bias`));
  x = tf.add(x, attention(tf, params, config, l, norm1, ctx, cache));
  const norm2 = layerNorm(tf, x, param(params, `h.${l}.ln_2.weight`), param(params, `h.${l}.ln_2.bias`));
  return tf.add(x, mlp(tf, params, l, norm2));
}

/** Token (+ learned position) embeddings of idx (B, T) at absolute positions offset.., as (B*T, C). */
function embed(tf: TF, params: GPTParams, config: GPTConfig, idx: Tensor, ctx: Context): Tensor {
  const { B, T, offset } = ctx;
  const C = config.nEmbd;
  const tok = tf.gather(param(params, 'wte.weight'), tf.reshape(idx, [B * T])); // (B*T,) ids -> (B*T, C)
  if (config.positions === 'rotary') return tok;
  if (ctx.padded) return tf.add(tok, tf.gather(param(params, 'wpe.weight'), ctx.padded.positions)); // (B*T, C) + (B*T, C), each row's own positions
  const pos = tf.slice(param(params, 'wpe.weight'), [offset, 0], [T, C]); // (T, C)
  const x = tf.add(tf.reshape(tok, [B, T, C]), pos); // (B, T, C) + (T, C)
  return tf.reshape(x, [B * T, C]); // (B*T, C)
}

/** starts: a left-padded batch's first real column per row (KVCache.starts). */
function context(tf: TF, config: GPTConfig, idx: Tensor, offset: number, starts?: Int32Array): Context {
  if (idx.rank !== 2 || idx.dtype !== 'int32') throw new Error(`GPT input must be int32 (B, T), got ${idx.dtype} [${idx.shape}]`);
  const [B, T] = idx.shape as [number, number];
  if (starts && starts.length !== B) throw new Error(`${starts.length} row starts for a batch of ${B}`);
  const longest = offset + T - (starts ? Math.min(...starts) : 0); // positions of the row that starts first
  if (longest > config.blockSize) {
    throw new Error(`sequence of ${longest} positions exceeds blockSize ${config.blockSize}; crop the context to the last ${config.blockSize} tokens`);
  }
  const hs = config.nEmbd / config.nHead;
  if (!starts) {
    const ctx: Context = { B, T, offset, bias: causalBias(tf, T, offset + T, offset) };
    if (config.positions === 'rotary') ctx.rope = ropeTables(tf, T, hs, offset);
    return ctx;
  }
  const positions = paddedPositions(B, T, offset, starts);
  const ctx: Context = {
    B,
    T,
    offset,
    bias: paddedCausalBias(tf, config.nHead, T, offset + T, offset, starts),
    padded: { starts: tf.tensor1d(starts, 'int32'), positions: tf.tensor1d(positions, 'int32') },
  };
  if (config.positions === 'rotary') ctx.rope = ropeTables(tf, T, hs, offset, { positions, nh: config.nHead });
  return ctx;
}

/** The language-model head: logits (N, V) for final hidden states (N, C). */
function lmHead(tf: TF, params: GPTParams, config: GPTConfig, h: Tensor): Tensor {
  const weight = param(params, config.tieWeights ? 'wte.weight' : 'lm_head.weight'); // (V, C)
  return tf.matMul(h, weight, false, true); // (N, V)
}

function finalNorm(tf: TF, params: GPTParams, x: Tensor): Tensor {
  return layerNorm(tf, x, param(params, 'ln_f.weight'), param(params, 'ln_f.bias'));
}

/**
 * Final hidden states (B, T, C) for token ids idx (B, T) int32: the blocks and the final LayerNorm,
 * what the language-model head and any scalar head (reward, value) read.
 */
export function hidden(tf: TF, params: GPTParams, config: GPTConfig, idx: Tensor): Tensor {
  return tf.tidy(() => {
    const ctx = context(tf, config, idx, 0);
    let x = embed(tf, params, config, idx, ctx); // (B*T, C)
    // A tidy per block frees its intermediates as it goes; what backprop needs was saved by the ops.
    for (let l = 0; l < config.nLayer; l++) x = tf.tidy(() => block(tf, params, config, l, x, ctx));
    return tf.reshape(finalNorm(tf, params, x), [ctx.B, ctx.T, config.nEmbd]); // (B, T, C)
  });
}

/** Logits (B, T, V) for token ids idx (B, T) int32. */
export function forward(tf: TF, params: GPTParams, config: GPTConfig, idx: Tensor): Tensor {
  return tf.tidy(() => {
    const [B, T] = idx.shape as [number, number];
    const h = tf.reshape(hidden(tf, params, config, idx), [B * T, config.nEmbd]); // (B*T, C)
    return tf.reshape(lmHead(tf, params, config, h), [B, T, config.vocabSize]); // (B, T, V)
  });
}

// -------------------------------------------------------------------------------------------------- loss

/**
 * Mean cross-entropy of logits (B, T, V) against targets (B, T) int32 over positions where mask (B, T) is
 * 1 and the target is >= 0 (a scalar; 0 when nothing counts). The log-sum-exp comes from the softmax:
 * at the row's argmax the softmax is exp(0)/sum = 1/sum >= 1/V, so lse = max - log(max softmax) never
 * underflows, and the softmax is an XNNPACK kernel on wasm while exp is not. The gradient is the usual
 * (softmax - onehot) * weight, written by hand so nothing else is saved.
 */
export function lossFromLogits(tf: TF, logits: Tensor, targets: Tensor, mask?: Tensor): Tensor {
  return tf.tidy(() => {
    const V = logits.shape[logits.rank - 1]!;
    const N = targets.size;
    const flatTargets = tf.reshape(targets, [N]); // (N,)
    let valid = tf.cast(tf.greaterEqual(flatTargets, 0), 'float32'); // (N,)
    if (mask) valid = tf.mul(valid, tf.reshape(tf.cast(mask, 'float32'), [N])); // (N,)
    const rowWeights = tf.div(valid, tf.maximum(tf.sum(valid), 1)); // (N,), sums to 1
    if (logits.dtype === 'float32' && tf.getKernel(CROSS_ENTROPY_KERNEL, tf.getBackend())) {
      const fused = customOp(tf, (...args) => {
        const [[x], save] = unpack(args);
        const [loss, probs] = tf.engine().runKernel(CROSS_ENTROPY_KERNEL, { logits: x!, targets: flatTargets, weights: rowWeights }) as Tensor[];
        save([probs!, flatTargets, rowWeights]);
        return {
          value: loss!,
          gradFunc: (dy: Tensor, [probs, targets, weights]: Tensor[]) => tf.engine().runKernel(CROSS_ENTROPY_KERNEL, { probs: probs!, targets: targets!, weights: weights!, dy }) as Tensor,
        };
      });
      return fused(tf.reshape(logits, [N, V])); // (N, V) -> scalar
    }
    const weights = tf.reshape(rowWeights, [N, 1]); // (N, 1)
    const onehot = tf.oneHot(flatTargets as never, V, 1, 0, 'float32'); // (N, V)
    const crossEntropy = customOp(tf, (...args) => {
      const [x, save] = args as [Tensor, (tensors: Tensor[]) => void];
      const probs = tf.softmax(x); // (N, V)
      const lse = tf.sub(tf.max(x, -1, true), tf.log(tf.max(probs, -1, true))); // (N, 1)
      const nll = tf.sub(lse, tf.sum(tf.mul(x, onehot), -1, true)); // (N, 1)
      save([probs, onehot, weights]); // kept for backprop, which runs after this tidy has ended
      return {
        value: tf.sum(tf.mul(nll, weights)),
        gradFunc: (dy: Tensor, [p, y, w]: Tensor[]) => tf.mul(tf.mul(tf.sub(p!, y!), w!), dy), // (N, V)
      };
    });
    return crossEntropy(tf.reshape(logits, [N, V])); // (N, V) -> scalar
  });
}

/**
 * log p(target) for each row of logits (N, V) against targets (N) int32: (N). Same log-sum-exp as
 * lossFromLogits. The gradient (onehot - softmax) * dy is the cross-entropy kernel's with row weights
 * -dy, so policy-gradient and DPO losses, which weight each token's log-prob, backprop through the fused
 * kernel where the backend has it. Targets must be valid ids (mask padded rows afterwards).
 */
export function logProbsFromLogits(tf: TF, logits: Tensor, targets: Tensor): Tensor {
  const fused = logits.dtype === 'float32' && tf.getKernel(CROSS_ENTROPY_KERNEL, tf.getBackend()) !== undefined;
  const op = customOp(tf, (...args) => {
    const [[x], save] = unpack(args);
    const V = x!.shape[1]!;
    const probs = tf.softmax(x!); // (N, V)
    const lse = tf.sub(tf.max(x!, -1), tf.log(tf.max(probs, -1))); // (N,)
    const onehot = tf.oneHot(targets as never, V, 1, 0, 'float32'); // (N, V)
    save([probs, onehot]);
    return {
      value: tf.sub(tf.sum(tf.mul(x!, onehot), -1), lse), // (N,)
      gradFunc: (dy: Tensor, [probs, onehot]: Tensor[]) => {
        if (!fused) return tf.mul(tf.sub(onehot!, probs!), tf.expandDims(dy, 1)); // (N, V)
        return tf.engine().runKernel(CROSS_ENTROPY_KERNEL, { probs: probs!, targets, weights: tf.neg(dy), dy: tf.scalar(1) }) as Tensor; // (N, V)
      },
    };
  });
  return op(logits);
}

/** Mean next-token cross-entropy of the model on (idx, targets), optionally only where mask is 1. */
export function gptLoss(tf: TF, params: GPTParams, config: GPTConfig, idx: Tensor, targets: Tensor, mask?: Tensor): Tensor {
  return tf.tidy(() => lossFromLogits(tf, forward(tf, params, config, idx), targets, mask));
}

/** The loss and the gradient of every parameter, by parameter name. The caller disposes all of them. */
export function gptLossAndGrads(
  tf: TF,
  params: GPTParams,
  config: GPTConfig,
  idx: Tensor,
  targets: Tensor,
  mask?: Tensor,
): { loss: Tensor; grads: Record<string, Tensor> } {
  const names = Object.keys(params);
  const { value, grads } = tf.variableGrads(() => gptLoss(tf, params, config, idx, targets, mask) as never, names.map((n) => params[n]!));
  const byName: Record<string, Tensor> = {};
  for (const name of names) byName[name] = grads[params[name]!.name]!;
  return { loss: value, grads: byName };
}

// ------------------------------------------------------------------------------------------- decoding

/**
 * Keys and values of every layer for incremental decoding (nanochat KVCache). Prompts of different
 * lengths share one cache left-padded, as HF generate pads them: row b's real tokens start at column
 * starts[b], its positions count from there and its queries never see the columns before, so each row
 * decodes as it would alone.
 */
export interface KVCache {
  batch: number;
  /** Columns already fed (the longest row's positions). */
  length: number;
  /** Each row's first real column; absent when no row is padded. */
  starts?: Int32Array;
  /** Each row's slot in in-place caches (LayerCache.inPlace); absent until a row leaves: row b, slot b. */
  slots?: Int32Array;
  layers: LayerCache[];
}

/** starts: per row, how many padding columns the first feed puts before its tokens (default none). */
export function createKVCache(config: GPTConfig, batch: number, starts?: readonly number[]): KVCache {
  if (starts && (starts.length !== batch || starts.some((s) => !Number.isInteger(s) || s < 0))) throw new Error(`KV cache of batch ${batch} got row starts [${starts}]`);
  const padded = starts?.some((s) => s > 0) ? Int32Array.from(starts) : undefined;
  return { batch, length: 0, ...(padded ? { starts: padded } : {}), layers: Array.from({ length: config.nLayer }, () => ({ k: null, v: null })) };
}

/**
 * Keeps only `rows` (ascending indices) of the cache, so finished rows stop costing a decode step. The
 * fused kernel's caches stay where they are (the kept rows keep their slots); the composite's are
 * gathered, without the leading columns that are padding in every kept row.
 */
export function retainKVCacheRows(tf: TF, config: GPTConfig, cache: KVCache, rows: readonly number[]): void {
  if (rows.some((r, i) => !Number.isInteger(r) || r < 0 || r >= cache.batch || (i > 0 && r <= rows[i - 1]!))) throw new Error(`cannot keep rows [${rows}] of a KV cache of batch ${cache.batch}`);
  const starts = rows.map((r) => cache.starts?.[r] ?? 0);
  const inPlace = cache.layers.some((layer) => layer.inPlace);
  const trim = inPlace || rows.length === 0 ? 0 : Math.min(...starts);
  const nh = config.nHead;
  for (const layer of cache.layers) {
    if (!layer.k || !layer.v || layer.inPlace) continue;
    const index = Array.from({ length: nh }, (_, h) => rows.map((r) => h * cache.batch + r)).flat(); // rows of (nh*B, Tc, hs) at h*B + b
    const keep = (t: Tensor) => tf.tidy(() => {
      const kept = tf.gather(t, tf.tensor1d(index, 'int32')); // (nh*B', Tc, hs)
      return trim > 0 ? tf.slice(kept, [0, trim, 0], [-1, -1, -1]) : kept; // (nh*B', Tc - trim, hs)
    });
    const [k, v] = [keep(layer.k), keep(layer.v)];
    layer.k.dispose();
    layer.v.dispose();
    [layer.k, layer.v] = [k, v];
  }
  cache.slots = Int32Array.from(rows, (r) => cache.slots?.[r] ?? r);
  cache.batch = rows.length;
  cache.length -= trim;
  const shifted = starts.map((s) => s - trim);
  if (shifted.some((s) => s > 0)) cache.starts = Int32Array.from(shifted);
  else delete cache.starts;
}

export function disposeKVCache(cache: KVCache): void {
  for (const layer of cache.layers) {
    layer.k?.dispose();
    layer.v?.dispose();
    layer.k = layer.v = null;
  }
  cache.length = 0;
  delete cache.starts;
  delete cache.slots;
}

/**
 * Feeds idx (B, t) after the cache's positions and returns the logits of the last position (B, V).
 * The cache grows by t; equal to forward() on the whole sequence, at O(t * length) cost per call.
 */
export function forwardStep(tf: TF, params: GPTParams, config: GPTConfig, idx: Tensor, cache: KVCache): Tensor {
  if (idx.shape[0] !== cache.batch) throw new Error(`KV cache holds batch ${cache.batch}, got idx [${idx.shape}]`);
  const previous = cache.layers.map((layer) => [layer.k, layer.v]);
  const logits = tf.tidy(() => {
    const ctx = context(tf, config, idx, cache.length, cache.starts);
    const B = cache.batch;
    ctx.cacheRows = {
      slots: tf.tensor1d(cache.slots ?? Int32Array.from({ length: B }, (_, b) => b), 'int32'),
      starts: tf.tensor1d(cache.starts ?? new Int32Array(B), 'int32'),
      bound: config.blockSize + (cache.starts ? Math.min(...cache.starts) : 0), // columns the context check lets any row reach
    };
    let x = embed(tf, params, config, idx, ctx); // (B*t, C)
    for (let l = 0; l < config.nLayer; l++) x = tf.tidy(() => block(tf, params, config, l, x, ctx, cache.layers[l]));
    const C = config.nEmbd;
    const h = tf.reshape(x, [ctx.B, ctx.T, C]); // (B, t, C)
    const last = tf.reshape(tf.slice(h, [0, ctx.T - 1, 0], [ctx.B, 1, C]), [ctx.B, C]); // (B, 1, C) -> (B, C)
    return lmHead(tf, params, config, finalNorm(tf, params, last)); // (B, V)
  });
  cache.layers.forEach((layer, l) => {
    const [k, v] = previous[l]!;
    if (k !== layer.k) k?.dispose(); // the composite path's caches were replaced; in-place ones were written to
    if (v !== layer.v) v?.dispose();
  });
  cache.length += idx.shape[1]!;
  return logits;
}

// ------------------------------------------------------------------------------------------ weights I/O

/** Copies the parameters out as plain arrays for safetensors. */
export function exportParams(params: Record<string, Tensor>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  // slice(): on the cpu backend dataSync returns the tensor's own storage, which must not leak out.
  for (const [name, p] of Object.entries(params)) out[name] = { dtype: 'F32', shape: [...p.shape], data: (p.dataSync() as Float32Array).slice() };
  return out;
}

/** Builds parameters from saved arrays; every tensor the config needs must be there with its shape. */
export function importParams(tf: TF, config: GPTConfig, tensors: Record<string, NamedTensor>): GPTParams {
  const params: GPTParams = {};
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    const saved = tensors[name];
    if (!saved || saved.shape.join() !== shape.join()) {
      throw new Error(`weights: ${saved ? `${name} has shape [${saved.shape}], config needs [${shape}]` : `missing ${name} [${shape}]`}`);
    }
    params[name] = tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(saved.data), shape, 'float32'), true));
  }
  return params;
}
