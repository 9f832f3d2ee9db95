// The `native` backend: tfjs-backend-wasm for every kernel, with matrix products handed to the addon's
// GEMM (tempa's own or the system BLAS, on all cores) and fused one-pass kernels for attention (training
// and KV-cache decoding), linear layers, LayerNorm, GELU, the loss, bias gradients, the gradient norm
// and the AdamW update, all through tempa's Node-API addon (native/), which reads and writes the wasm
// heap in place. Profiles on
// wasm put ~80% of a step in matrix products at ~30 GFLOP/s on one thread (native GEMMs reach ~150-250
// here); with those native, the ~10-20 small ops of each attention, norm and GELU led, hence the rest.
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { ADAMW_KERNEL, ATTENTION_KERNEL, CACHED_ATTENTION_KERNEL, CROSS_ENTROPY_KERNEL, GELU_KERNEL, GLOBAL_NORM_KERNEL, LAYER_NORM_KERNEL, LINEAR_KERNEL } from '../contracts.ts';
import type { TF } from '../types.ts';
import type { NativeAddon } from './addon.ts';
import { adamw, attention, cachedAttention, crossEntropy, gelu, globalNorm, layerNorm, linear, sum } from './fused.ts';
import type { Kernel } from './heap.ts';
import { batchMatMul, fusedMatMul } from './matmul.ts';

/** wasm kernels replaced, each built from the addon and the kernel it falls back to. */
const REPLACED: Record<string, (tf: TF, addon: NativeAddon, fallback: Kernel) => Kernel> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Sum: sum,
};

/** Kernels tfjs does not have; the model and optimizer use them when the backend registers them. */
const ADDED: Record<string, (addon: NativeAddon) => Kernel> = {
  [ADAMW_KERNEL]: adamw,
  [GLOBAL_NORM_KERNEL]: globalNorm,
  [LINEAR_KERNEL]: linear,
  [GELU_KERNEL]: gelu,
  [ATTENTION_KERNEL]: attention,
  [CACHED_ATTENTION_KERNEL]: cachedAttention,
  [LAYER_NORM_KERNEL]: layerNorm,
  [CROSS_ENTROPY_KERNEL]: crossEntropy,
};

/** The wasm kernels the native ones replaced, to put back when the plain wasm backend is chosen again. */
let replaced: Map<string, KernelConfig> | undefined;

/** Routes the wasm backend's hot kernels to the addon (on) or back to wasm (off). */
export function useNativeKernels(tf: TF, addon: NativeAddon | undefined): void {
  if (addon === undefined) {
    if (!replaced) return;
    for (const [name, config] of replaced) {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(config);
    }
    for (const name of Object.keys(ADDED)) tf.unregisterKernel(name, 'wasm');
    replaced = undefined;
    return;
  }
  if (replaced) return;
  replaced = new Map();
  for (const [name, make] of Object.entries(REPLACED)) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) throw new Error(`wasm backend has no ${name} kernel`);
    replaced.set(name, original);
    const kernel = make(tf, addon, original.kernelFunc as unknown as Kernel);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernel as unknown as KernelFunc });
  }
  for (const [name, make] of Object.entries(ADDED)) {
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(addon) as unknown as KernelFunc });
  }
}
