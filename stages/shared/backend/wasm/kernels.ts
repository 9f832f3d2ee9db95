// Kernel fixes for @tensorflow/tfjs-backend-wasm 4.x, installed by tf.ts once the backend is up: the
// backend lacks the embedding's gradient kernel and is slow on the paths training spends its time in,
// and fixing those here lets the model stay written in plain tf ops.
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { copyStrided, tileInto, transposeInto, type HeapArray } from './heap-copy.ts';
import { leadingAxesSum, matMulShapes } from '../kernel-shapes.ts';
import type { TF } from '../types.ts';

interface WasmModule {
  HEAPU8: Uint8Array;
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

/** The parts of tfjs-backend-wasm's BackendWasm that tempa's kernels (here and native/) use. */
export interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: unknown): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: unknown): boolean;
  typedArrayFromHeap(info: TensorInfo): HeapArray;
}

export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

type Original = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** Multiply-adds per batch slice below which BatchMatMul keeps the backend's own loop. */
const SMALL_SLICE_MACS = 16384;

/**
 * Replaces (or adds) wasm kernels. Must run after tf.setBackend('wasm') resolved. What each fixes:
 *   - UnsortedSegmentSum is missing: it is the gradient of gather, i.e. of the token embedding.
 *   - BatchMatMul uses XNNPACK only for batch 1 without transposes; every other case (attention, and
 *     every matMul gradient, which transposes an operand) falls back to a naive loop at ~2 GFLOP/s.
 *     Here: transpose explicitly, then run XNNPACK on each batch slice through aliased tensor ids.
 *   - Transpose is ~5x slower than tiled JavaScript on the heap (heap-copy.ts).
 *   - Slice, SplitV, Unpack and GatherV2 copy the whole input out of the heap (readSync) on every call.
 *   - Sum over leading axes (bias and norm gradients) transposes the input first; Tile (broadcastTo,
 *     which spreads reduced gradients back out) is a slow generic loop.
 *   - Identity (tf.clone, and the engine's copy of every tensor saved for backprop) copies the data;
 *     tensors are immutable, so it shares the buffer and counts a reference, as tfjs-backend-cpu does.
 *   - OneHot writes int32 bit patterns whatever the dtype: oneHot(..., 'float32') gives 1.4e-45, not 1.
 * Kernels read and write the heap through typed-array views, each taken after the call's last
 * allocation, because growing the heap detaches earlier views.
 */
export function registerWasmKernels(tf: TF): void {
  const override = (kernelName: string, make: (original: Original) => (args: KernelArgs) => TensorInfo | TensorInfo[]) => {
    const existing = tf.getKernel(kernelName, 'wasm');
    const original: Original = existing
      ? (existing.kernelFunc as unknown as Original)
      : () => {
          throw new Error(`wasm backend has no ${kernelName} kernel`);
        };
    if (existing) tf.unregisterKernel(kernelName, 'wasm');
    const config: KernelConfig = { kernelName, backendName: 'wasm', kernelFunc: make(original) as unknown as KernelFunc };
    tf.registerKernel(config);
  };
  const size = (shape: number[]) => tf.util.sizeFromShape(shape);

  override('Identity', (original) => (args) => {
    const x = input(args.inputs, 'x');
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as { incRef(dataId: unknown): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  });

  override('UnsortedSegmentSum', () => ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x');
    const ids = input(inputs, 'segmentIds');
    const numSegments = attrs.numSegments as number;
    const rows = size(ids.shape);
    const inner = rows === 0 ? 0 : size(x.shape) / rows;
    const out = backend.makeOutput([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype);
    const [xs, is, os] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(ids), backend.typedArrayFromHeap(out)];
    os.fill(0);
    for (let r = 0; r < rows; r++) {
      const segment = is[r]!;
      if (segment < 0 || segment >= numSegments) continue; // TensorFlow drops out-of-range ids
      const src = r * inner;
      const dst = segment * inner;
      for (let j = 0; j < inner; j++) os[dst + j] = os[dst + j]! + xs[src + j]!;
    }
    return out;
  });

  override('GatherV2', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, 'x');
    const indices = input(inputs, 'indices');
    if ((attrs.batchDims as number) !== 0 || x.dtype === 'string') return original(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0]!;
    const outer = size(x.shape.slice(0, axis));
    const dim = x.shape[axis]!;
    const slice = size(x.shape.slice(axis + 1));
    const count = size(indices.shape);
    const out = backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
    const [xs, is, os] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(indices), backend.typedArrayFromHeap(out)];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < count; i++) {
        const index = is[i]!;
        if (index < 0 || index >= dim) throw new Error(`GatherV2: the index value ${index} is not in [0, ${dim - 1}]`);
        const src = (o * dim + index) * slice;
        os.set(xs.subarray(src, src + slice), (o * count + i) * slice);
      }
    }
    return out;
  });

  override('OneHot', () => ({ inputs, backend, attrs }) => {
    const indices = input(inputs, 'indices');
    const depth = attrs.depth as number;
    const out = backend.makeOutput([...indices.shape, depth], attrs.dtype as DataType);
    const [is, os] = [backend.typedArrayFromHeap(indices), backend.typedArrayFromHeap(out)];
    os.fill(attrs.offValue as number);
    for (let i = 0; i < is.length; i++) {
      const index = is[i]!;
      if (index >= 0 && index < depth) os[i * depth + index] = attrs.onValue as number;
    }
    return out;
  });

  const sliceOut = (backend: WasmBackend, x: TensorInfo, begin: number[], sizes: number[]): TensorInfo => {
    const out = backend.makeOutput(sizes, x.dtype);
    copyStrided(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), x.shape, begin, sizes);
    return out;
  };

  override('Slice', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, 'x');
    if (x.dtype === 'string') return original(args);
    const [begin, sizes] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]) as [number[], number[]];
    return sliceOut(backend, x, begin, sizes);
  });

  override('SplitV', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, 'x');
    if (x.dtype === 'string') return original(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0]!;
    const splits = tf.backend_util.prepareSplitSize(x as never, attrs.numOrSizeSplits as number | number[], axis);
    const begin = x.shape.map(() => 0);
    return splits.map((length) => {
      const sizes = x.shape.map((d, i) => (i === axis ? length : d));
      const out = sliceOut(backend, x, begin, sizes);
      begin[axis]! += length;
      return out;
    });
  });

  override('Unpack', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, 'value');
    if (x.dtype === 'string') return original(args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0]!;
    const outShape = x.shape.filter((_, i) => i !== axis);
    return Array.from({ length: x.shape[axis]! }, (_, index) => {
      const out = sliceOut(
        backend,
        x,
        x.shape.map((_, i) => (i === axis ? index : 0)),
        x.shape.map((d, i) => (i === axis ? 1 : d)),
      );
      return { ...out, shape: outShape };
    });
  });

  override('Transpose', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, 'x');
    if (x.dtype === 'string') return original(args);
    const perm = attrs.perm as number[];
    const out = backend.makeOutput(
      perm.map((p) => x.shape[p]!),
      x.dtype,
    );
    transposeInto(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), x.shape, perm);
    return out;
  });

  override('Sum', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, 'x');
    const plan = leadingAxesSum(tf, x, attrs);
    if (!plan) return original(args);
    const { rows, cols } = plan;
    const out = backend.makeOutput(plan.outShape, 'float32');
    const [xs, os] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
    const acc = new Float64Array(cols); // float64 partial sums: thousands of rows are summed
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      // Four rows per pass: a quarter of the accumulator traffic (~2x faster).
      const b0 = r * cols;
      const [b1, b2, b3] = [b0 + cols, b0 + 2 * cols, b0 + 3 * cols];
      for (let c = 0; c < cols; c++) acc[c] = acc[c]! + (xs[b0 + c]! + xs[b1 + c]! + (xs[b2 + c]! + xs[b3 + c]!));
    }
    for (; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) acc[c] = acc[c]! + xs[base + c]!;
    }
    os.set(acc);
    return out;
  });

  override('Tile', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const x = input(inputs, 'x');
    if (x.dtype === 'string') return original(args);
    const reps = attrs.reps as number[];
    const out = backend.makeOutput(
      x.shape.map((d, i) => d * reps[i]!),
      x.dtype,
    );
    tileInto(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), x.shape, reps);
    return out;
  });

  let xnnMatMul: ((...args: unknown[]) => void) | undefined;
  override('BatchMatMul', (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const transposeA = attrs.transposeA as boolean;
    const transposeB = attrs.transposeB as boolean;
    const shapes = matMulShapes(tf, a, b, transposeA, transposeB);
    if (!shapes) return original(args);
    const { m, k, n, batchA, batchB, batch } = shapes;
    const outShape = [...shapes.batchShape, m, n];
    if (size(outShape) === 0 || k === 0) return original(args);
    // Creating an XNNPACK operator per slice costs ~30 µs; tiny slices (one decoding query per head)
    // are faster in the backend's naive loop.
    if (batch > 1 && m * k * n < SMALL_SLICE_MACS) return original(args);

    // XNNPACK's fully-connected operator wants row-major (M, K) x (K, N): materialise transposes.
    const aT = transposeA ? backend.makeOutput([batchA, m, k], 'float32') : undefined;
    const bT = transposeB ? backend.makeOutput([batchB, k, n], 'float32') : undefined;
    const out = backend.makeOutput(outShape, 'float32');
    if (aT) transposeInto(backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(aT), [batchA, k, m], [0, 2, 1]);
    if (bT) transposeInto(backend.typedArrayFromHeap(b), backend.typedArrayFromHeap(bT), [batchB, n, k], [0, 2, 1]);
    const aInfo = backend.dataIdMap.get((aT ?? a).dataId)!;
    const bInfo = backend.dataIdMap.get((bT ?? b).dataId)!;
    const outInfo = backend.dataIdMap.get(out.dataId)!;

    xnnMatMul ??= backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);
    const bShape = shapeBytes([1, k, n]);

    if (batchB === 1) {
      // One weight matrix for every batch: fold the batch into the rows, a single XNNPACK call.
      xnnMatMul(aInfo.id, shapeBytes([1, batch * m, k]), 3, bInfo.id, bShape, 3, false, false, outInfo.id);
    } else {
      const aShape = shapeBytes([1, m, k]);
      // One call per batch slice. Slices are aliases: extra tensor ids registered on offsets inside
      // the parent buffers (no copy). Disposing an alias id drops XNNPACK's cached operator for it.
      const alias = (offsetBytes: number, count: number) => {
        const id = backend.dataIdNextNumber++;
        backend.wasm.tfjs.registerTensor(id, count, offsetBytes);
        return id;
      };
      for (let i = 0; i < batch; i++) {
        const aId = alias(aInfo.memoryOffset + (batchA === 1 ? 0 : i * m * k * 4), m * k);
        const bId = alias(bInfo.memoryOffset + i * k * n * 4, k * n);
        const outId = alias(outInfo.memoryOffset + i * m * n * 4, m * n);
        xnnMatMul(aId, aShape, 3, bId, bShape, 3, false, false, outId);
        for (const id of [aId, bId, outId]) backend.wasm.tfjs.disposeData(id);
      }
    }
    if (aT) backend.disposeData(aT.dataId);
    if (bT) backend.disposeData(bT.dataId);
    return out;
  });
}

function input(inputs: Record<string, TensorInfo | undefined>, name: string): TensorInfo {
  const info = inputs[name];
  if (!info) throw new Error(`kernel input \`${name}\` is missing`);
  return info;
}
