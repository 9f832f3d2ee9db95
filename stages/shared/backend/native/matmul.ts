// BatchMatMul and _FusedMatMul of the native backend: the addon's GEMM on the wasm heap in place, batched,
// transposed and broadcast without copies. Shapes one strided GEMM call cannot take go to the wasm kernel.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { matMulShapes } from '../kernel-shapes.ts';
import type { TF } from '../types.ts';
import type { KernelArgs, WasmBackend } from '../wasm/kernels.ts';
import type { NativeAddon } from './addon.ts';
import { heapOffset, type Kernel } from './heap.ts';

interface Product {
  out: TensorInfo;
  /** Computes the product, plus `bias` (n values) on every row when given. */
  run(bias?: TensorInfo): void;
}

/** Plans op(a) @ op(b) with batch broadcasting; undefined when the shapes need the wasm kernel. */
function planProduct(tf: TF, addon: NativeAddon, backend: WasmBackend, a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): Product | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const shapes = matMulShapes(tf, a, b, transA, transB);
  if (!shapes) return undefined;
  const { m, k, n, batchA, batchB, batch } = shapes;
  const out = backend.makeOutput([...shapes.batchShape, m, n], 'float32');
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
