// Shape planning that tempa's wasm kernel fixes (wasm/kernels.ts) and the native backend (native/) share:
// which batched matrix products and which sums they can take, and with what sizes.
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from './types.ts';

export interface MatMulShapes {
  m: number;
  k: number;
  n: number;
  /** Matrices in each operand (1: broadcast against every slice of the other). */
  batchA: number;
  batchB: number;
  batch: number;
  /** The output's leading dimensions. */
  batchShape: number[];
}

/**
 * Sizes of op(a) @ op(b) for a, b of rank >= 2, or undefined when the inner sizes differ or the batch
 * broadcasts other than as a whole operand (one matrix against many).
 */
export function matMulShapes(tf: TF, a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): MatMulShapes | undefined {
  const [ra, rb] = [a.shape.length, b.shape.length];
  if (ra < 2 || rb < 2) return undefined;
  const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== (transB ? b.shape[rb - 1] : b.shape[rb - 2])) return undefined;
  const size = tf.util.sizeFromShape;
  const [batchA, batchB] = [size(a.shape.slice(0, -2)), size(b.shape.slice(0, -2))];
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = size(batchShape);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  return { m, k, n, batchA, batchB, batch, batchShape };
}

/**
 * A Sum kernel's reduction as column sums of a (rows, cols) matrix, when it reduces float32 x over its
 * leading axes (bias and norm gradients); undefined for any other reduction.
 */
export function leadingAxesSum(tf: TF, x: TensorInfo, attrs: NamedAttrMap): { rows: number; cols: number; outShape: number[] } | undefined {
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
  if (!leading || x.dtype !== 'float32') return undefined;
  return {
    rows: tf.util.sizeFromShape(x.shape.slice(0, axes.length)),
    cols: tf.util.sizeFromShape(x.shape.slice(axes.length)),
    outShape: attrs.keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length),
  };
}
