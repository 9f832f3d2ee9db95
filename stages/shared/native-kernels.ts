// The `native` backend: tfjs-backend-wasm for every kernel, with matrix multiplication handed to the
// system BLAS (OpenBLAS, both cores), and the AdamW update and GELU fused into one pass each, through tempa's Node-API
// addon (native/). The addon reads and writes the wasm heap in place, so no tensor is copied. Profiles
// on wasm put ~80% of a training step in BatchMatMul and _FusedMatMul, single-threaded at ~30 GFLOP/s
// (OpenBLAS sgemm reaches ~150 here); with those native, AdamW's ~13 small ops per parameter lead.
import { createRequire } from 'node:module';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { GELU_KERNEL } from './model/gpt.ts';
import { ADAMW_KERNEL } from './optim.ts';
import type { TF } from './tf.ts';
import type { KernelArgs, WasmBackend } from './wasm-kernels.ts';

export interface NativeAddon {
  /** See native/src/tempa_native.c. Offsets in bytes, strides in elements (0 broadcasts). */
  gemm(
    memory: Uint8Array,
    aOffset: number,
    bOffset: number,
    cOffset: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
    beta: number,
  ): void;
  /** x * sigmoid(x (c2 + c1 x^2)) into y; with dy, its gradient into dx. */
  gelu(memory: Uint8Array, x: number, y: number, count: number, c1: number, c2: number): void;
  gelu(memory: Uint8Array, x: number, dy: number, dx: number, count: number, c1: number, c2: number): void;
  /** consts: see ADAMW_KERNEL in optim.ts. */
  adamw(memory: Uint8Array, p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, count: number, consts: Float32Array): void;
  threads(): number;
  blas(): string;
}

const ADDON_PATH = '../../native/build/Release/tempa_native.node';

/** The addon, or why it cannot load (not built: no compiler or no BLAS at install). */
export function loadNativeAddon(): { addon: NativeAddon } | { error: string } {
  if (process.env.TEMPA_NATIVE === '0') return { error: 'disabled by TEMPA_NATIVE=0' };
  try {
    return { addon: createRequire(import.meta.url)(ADDON_PATH) as NativeAddon };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { error: code === 'MODULE_NOT_FOUND' ? 'addon not built' : `addon failed to load: ${(error as Error).message.split('\n')[0]}` };
  }
}

type Kernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
/** The wasm kernels the native ones replace, to put back when the plain wasm backend is chosen again. */
let replaced: Map<string, KernelConfig> | undefined;

/** Routes the wasm backend's matrix products and AdamW to the addon (on) or back to wasm (off). */
export function useNativeKernels(tf: TF, addon: NativeAddon | undefined): void {
  if (addon === undefined) {
    if (!replaced) return;
    for (const [name, config] of replaced) {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(config);
    }
    tf.unregisterKernel(ADAMW_KERNEL, 'wasm');
    tf.unregisterKernel(GELU_KERNEL, 'wasm');
    replaced = undefined;
    return;
  }
  if (replaced) return;
  replaced = new Map();
  for (const name of KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) throw new Error(`wasm backend has no ${name} kernel`);
    replaced.set(name, original);
    const fallback = original.kernelFunc as unknown as Kernel;
    const kernel = name === 'BatchMatMul' ? batchMatMul(tf, addon, fallback) : fusedMatMul(tf, addon, fallback);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernel as unknown as KernelFunc });
  }
  tf.registerKernel({ kernelName: ADAMW_KERNEL, backendName: 'wasm', kernelFunc: adamw(addon) as unknown as KernelFunc });
  tf.registerKernel({ kernelName: GELU_KERNEL, backendName: 'wasm', kernelFunc: gelu(addon) as unknown as KernelFunc });
}

/** Input x (and dy for the gradient), float32; attrs c1, c2; output GELU(x) or dy * GELU'(x). */
function gelu(addon: NativeAddon): (args: KernelArgs) => TensorInfo {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    const out = backend.makeOutput([...x!.shape], 'float32');
    const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    const count = x!.shape.reduce((a, b) => a * b, 1);
    const [c1, c2] = [attrs.c1 as number, attrs.c2 as number];
    if (dy) addon.gelu(backend.wasm.HEAPU8, offset(x!), offset(dy), offset(out), count, c1, c2);
    else addon.gelu(backend.wasm.HEAPU8, offset(x!), offset(out), count, c1, c2);
    return out;
  };
}

/** Inputs p, g, m, v (float32, one shape); attrs.consts as adamwStep builds them; outputs p', m', v'. */
function adamw(addon: NativeAddon): (args: KernelArgs) => TensorInfo[] {
  return ({ inputs, backend, attrs }) => {
    const [p, g, m, v] = (['p', 'g', 'm', 'v'] as const).map((name) => inputs[name]!);
    const outs = [p, m, v].map((t) => backend.makeOutput([...t!.shape], 'float32'));
    const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    const count = p!.shape.reduce((a, b) => a * b, 1);
    addon.adamw(backend.wasm.HEAPU8, offset(p!), offset(g!), offset(m!), offset(v!), offset(outs[0]!), offset(outs[1]!), offset(outs[2]!), count, attrs.consts as Float32Array);
    return outs;
  };
}

interface Product {
  out: TensorInfo;
  run(beta: number): void;
}

/** Plans op(a) @ op(b) with batch broadcasting; undefined when the shapes need the wasm kernel. */
function planProduct(tf: TF, addon: NativeAddon, backend: WasmBackend, a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): Product | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const [ra, rb] = [a.shape.length, b.shape.length];
  const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== (transB ? b.shape[rb - 1] : b.shape[rb - 2])) return undefined;
  const size = tf.util.sizeFromShape;
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = size(batchShape);
  // Only a whole operand broadcasts (one matrix against many); other patterns go to wasm.
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  const out = backend.makeOutput([...batchShape, m, n], 'float32');
  return {
    out,
    run(beta) {
      // Offsets are read after makeOutput: growing the heap moves nothing but replaces HEAPU8.
      const offset = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
      addon.gemm(backend.wasm.HEAPU8, offset(a), offset(b), offset(out), batch, m, n, k, transA, transB, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, beta);
    },
  };
}

function batchMatMul(tf: TF, addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const product = planProduct(tf, addon, backend, inputs.a!, inputs.b!, attrs.transposeA as boolean, attrs.transposeB as boolean);
    if (!product) return fallback(args);
    product.run(0);
    return product.out;
  };
}

/** x @ w + bias with no activation (how the GPT's linear layers call it); anything else goes to wasm. */
function fusedMatMul(tf: TF, addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b, bias } = inputs;
    if ((attrs.activation !== 'linear' && attrs.activation !== undefined) || inputs.preluActivationWeights) return fallback(args);
    const n = attrs.transposeB ? b!.shape.at(-2)! : b!.shape.at(-1)!;
    // A bias of n values (any leading 1s) broadcasts over rows; other biases go to wasm.
    if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n || bias.shape.at(-1) !== n)) return fallback(args);
    const product = planProduct(tf, addon, backend, a!, b!, attrs.transposeA as boolean, attrs.transposeB as boolean);
    if (!product) return fallback(args);
    if (bias) {
      // Start C at the bias on every row, then accumulate the product into it (beta 1).
      const c = backend.typedArrayFromHeap(product.out);
      const row = backend.typedArrayFromHeap(bias);
      for (let at = 0; at < c.length; at += n) c.set(row, at);
    }
    product.run(bias ? 1 : 0);
    return product.out;
  };
}
