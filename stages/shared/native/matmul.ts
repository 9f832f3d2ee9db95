// BatchMatMul and _FusedMatMul of the native backend: cblas_sgemm on the wasm heap in place, batched,
// transposed and broadcast without copies. Shapes BLAS cannot take in one call go to the wasm kernel.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from '../tf.ts';
import type { KernelArgs, WasmBackend } from '../wasm-kernels.ts';
import type { NativeAddon } from './addon.ts';
import { heapOffset, type Kernel } from './heap.ts';

interface Product {
  out: TensorInfo;
  /** Computes the product, plus `bias` (n values) on every row when given. */
  run(bias?: TensorInfo): void;
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
    run(bias) {
      const at = (t: TensorInfo) => heapOffset(backend, t);
      const strides = [batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n] as const;
      if (bias) addon.gemm(backend.wasm.HEAPU8, at(a), at(b), at(out), batch, m, n, k, transA, transB, ...strides, at(bias));
      else addon.gemm(backend.wasm.HEAPU8, at(a), at(b), at(out), batch, m, n, k, transA, transB, ...strides);
    },
  };
}

export function batchMatMul(tf: TF, addon: NativeAddon, fallback: Kernel): Kernel {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const product = planProduct(tf, addon, backend, inputs.a!, inputs.b!, attrs.transposeA as boolean, attrs.transposeB as boolean);
    if (!product) return fallback(args);
    product.run();
    return product.out;
  };
}

/** x @ w + bias with no activation (how the GPT's linear layers call it); anything else goes to wasm. */
export function fusedMatMul(tf: TF, addon: NativeAddon, fallback: Kernel): Kernel {
  return (args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const { a, b, bias } = inputs;
    if ((attrs.activation !== 'linear' && attrs.activation !== undefined) || inputs.preluActivationWeights) return fallback(args);
    const n = attrs.transposeB ? b!.shape.at(-2)! : b!.shape.at(-1)!;
    // A bias of n values (any leading 1s) broadcasts over rows; other biases go to wasm.
    if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n || bias.shape.at(-1) !== n)) return fallback(args);
    const product = planProduct(tf, addon, backend, a!, b!, attrs.transposeA as boolean, attrs.transposeB as boolean);
    if (!product) return fallback(args);
    product.run(bias);
    return product.out;
  };
}
