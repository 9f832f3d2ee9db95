// The native backend's fused kernels: one pass in C where the composite model code makes many tfjs
// ops. Each kernel's contract (inputs, attrs, outputs) is in ../contracts.ts.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from '../types.ts';
import type { KernelArgs } from '../wasm/kernels.ts';
import type { NativeAddon } from './addon.ts';
import { leadingAxesSum } from '../kernel-shapes.ts';
import { heapOffset, type Kernel } from './heap.ts';

const count = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

export function linear(addon: NativeAddon): Kernel {
  return ({ inputs, backend }: KernelArgs) => {
    const { x, w, b } = inputs;
    const [[rows, k], n] = [x!.shape as [number, number], w!.shape[1]!];
    const out = backend.makeOutput([rows, n], 'float32');
    const at = (t: TensorInfo) => heapOffset(backend, t);
    addon.gemm(backend.wasm.HEAPU8, at(x!), at(w!), at(out), 1, rows, n, k, false, false, 0, 0, at(b!));
    return out;
  };
}

export function gelu(addon: NativeAddon): Kernel {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { x, dy } = inputs;
    const out = backend.makeOutput([...x!.shape], 'float32');
    const at = (t: TensorInfo) => heapOffset(backend, t);
    const [c1, c2] = [attrs.c1 as number, attrs.c2 as number];
    if (dy) addon.gelu(backend.wasm.HEAPU8, at(x!), at(dy), at(out), count(x!), c1, c2);
    else addon.gelu(backend.wasm.HEAPU8, at(x!), at(out), count(x!), c1, c2);
    return out;
  };
}

export function adamw(addon: NativeAddon): Kernel {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const [p, g, m, v] = (['p', 'g', 'm', 'v'] as const).map((name) => inputs[name]!);
    const outs = [p, m, v].map((t) => backend.makeOutput([...t!.shape], 'float32'));
    const at = (t: TensorInfo) => heapOffset(backend, t);
    addon.adamw(backend.wasm.HEAPU8, at(p!), at(g!), at(m!), at(v!), at(outs[0]!), at(outs[1]!), at(outs[2]!), count(p!), attrs.consts as Float32Array);
    return outs;
  };
}

export function attention(addon: NativeAddon): Kernel {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { qkv, probs, dy } = inputs;
    const [batch, heads] = [attrs.batch as number, attrs.heads as number];
    const [tokens, threeC] = qkv!.shape as [number, number];
    const [seq, headSize] = [tokens / batch, threeC / 3 / heads];
    const scale = 1 / Math.sqrt(headSize);
    const at = (t: TensorInfo) => heapOffset(backend, t);
    if (dy && probs) {
      const dqkv = backend.makeOutput([tokens, threeC], 'float32');
      addon.attentionBackward(backend.wasm.HEAPU8, at(qkv!), at(probs), at(dy), at(dqkv), batch, seq, heads, headSize, scale);
      return dqkv;
    }
    const y = backend.makeOutput([tokens, threeC / 3], 'float32');
    const p = backend.makeOutput([batch * heads, seq, seq], 'float32');
    addon.attention(backend.wasm.HEAPU8, at(qkv!), at(y), at(p), batch, seq, heads, headSize, scale);
    return [y, p];
  };
}

export function cachedAttention(addon: NativeAddon): Kernel {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { qkv, k, v, slots, starts } = inputs;
    const [batch, heads, cached] = [attrs.batch as number, attrs.heads as number, attrs.cached as number];
    const [tokens, threeC] = qkv!.shape as [number, number];
    const [seq, headSize] = [tokens / batch, threeC / 3 / heads];
    const [slotHeads, capacity] = k!.shape as [number, number];
    const y = backend.makeOutput([tokens, threeC / 3], 'float32');
    const at = (t: TensorInfo) => heapOffset(backend, t);
    addon.cachedAttention(backend.wasm.HEAPU8, at(qkv!), at(k!), at(v!), at(y), at(slots!), at(starts!), batch, seq, heads, headSize, 1 / Math.sqrt(headSize), cached, capacity, slotHeads / heads);
    return y;
  };
}

export function layerNorm(addon: NativeAddon): Kernel {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { x, weight, bias, mean, rstd, dy } = inputs;
    const [rows, cols] = x!.shape as [number, number];
    const at = (t: TensorInfo) => heapOffset(backend, t);
    if (dy && mean && rstd) {
      const outs = [x!.shape, [cols], [cols]].map((shape) => backend.makeOutput([...shape], 'float32'));
      const [dx, dw, db] = outs.map(at) as [number, number, number];
      addon.layerNormBackward(backend.wasm.HEAPU8, at(dy), at(x!), at(weight!), at(mean), at(rstd), dx, dw, db, rows, cols);
      return outs;
    }
    const outs = [x!.shape, [rows], [rows]].map((shape) => backend.makeOutput([...shape], 'float32'));
    const [y, m, r] = outs.map(at) as [number, number, number];
    addon.layerNorm(backend.wasm.HEAPU8, at(x!), at(weight!), at(bias!), y, m, r, rows, cols, attrs.eps as number);
    return outs;
  };
}

export function crossEntropy(addon: NativeAddon): Kernel {
  return ({ inputs, backend }: KernelArgs) => {
    const { logits, probs, targets, weights, dy } = inputs;
    const at = (t: TensorInfo) => heapOffset(backend, t);
    if (probs && dy) {
      const [rows, vocab] = probs.shape as [number, number];
      const dlogits = backend.makeOutput([rows, vocab], 'float32');
      addon.crossEntropyBackward(backend.wasm.HEAPU8, at(probs), at(targets!), at(weights!), at(dy), at(dlogits), rows, vocab);
      return dlogits;
    }
    const [rows, vocab] = logits!.shape as [number, number];
    const loss = backend.makeOutput([], 'float32');
    const p = backend.makeOutput([rows, vocab], 'float32');
    addon.crossEntropy(backend.wasm.HEAPU8, at(logits!), at(targets!), at(weights!), at(p), at(loss), rows, vocab);
    return [loss, p];
  };
}

/** sqrt of the sum of squares of every input (named 0, 1, ...), as a float32 scalar. */
export function globalNorm(addon: NativeAddon): Kernel {
  return ({ inputs, backend }: KernelArgs) => {
    let sum = 0;
    for (const t of Object.values(inputs)) sum += addon.sumSquares(backend.wasm.HEAPU8, heapOffset(backend, t!), count(t!));
    const out = backend.makeOutput([], 'float32');
    backend.typedArrayFromHeap(out)[0] = Math.sqrt(sum);
    return out;
  };
}

/** Sum over leading axes (bias gradients) as column sums; other reductions go to the wasm kernel. */
export function sum(tf: TF, addon: NativeAddon, fallback: Kernel): Kernel {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x!;
    const plan = leadingAxesSum(tf, x, attrs);
    if (!plan) return fallback(args);
    const out = backend.makeOutput(plan.outShape, 'float32');
    addon.columnSum(backend.wasm.HEAPU8, heapOffset(backend, x), heapOffset(backend, out), plan.rows, plan.cols);
    return out;
  };
}
