// Kernel fixes for @tensorflow/tfjs-backend-wasm 4.x, installed by tf.ts once the backend is up, so the
// model stays written in plain tf ops. The backend lacks UnsortedSegmentSum (the gradient of gather,
// i.e. of the embedding), and training time goes to paths it runs slowly:
//   - BatchMatMul uses XNNPACK only for batch 1 without transposes; every other case (attention, and
//     every matMul gradient, which transposes an operand) falls back to a naive loop at ~2 GFLOP/s.
//     Here: transpose explicitly, then run XNNPACK on each batch slice through aliased tensor ids.
//   - Transpose runs ~6x slower than a blocked JavaScript loop on the wasm heap.
//   - Slice, SplitV, Unpack and GatherV2 copy the whole input out of the heap (readSync) on every call.
//   - Sum over leading axes (bias and norm gradients) transposes the input first; Tile (broadcastTo,
//     which spreads reduced gradients back out) is a slow generic loop.
//   - Identity (tf.clone, and the engine's copy of every tensor saved for backprop) copies the data;
//     tensors are immutable, so here it shares the buffer and counts a reference, as tfjs-backend-cpu does.
//   - OneHot writes int32 bit patterns whatever the dtype: oneHot(..., 'float32') gives 1.4e-45, not 1.
// Every kernel reads and writes the wasm heap through typed-array views; a view is taken only after
// the last allocation of the call, because growing the heap detaches earlier views.
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from './tf.ts';

type HeapArray = Float32Array | Int32Array | Uint8Array;

interface WasmModule {
  HEAPU8: Uint8Array;
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: unknown): { id: number; memoryOffset: number } | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: unknown): boolean;
  typedArrayFromHeap(info: TensorInfo): HeapArray;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

type Original = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** Replaces (or adds) the wasm kernels listed above. Must run after tf.setBackend('wasm') resolved. */
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
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return original(args);
    const rows = size(x.shape.slice(0, axes.length));
    const cols = size(x.shape.slice(axes.length));
    const outShape = attrs.keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
    const out = backend.makeOutput(outShape, 'float32');
    const [xs, os] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
    const acc = new Float64Array(cols); // float64 partial sums: thousands of rows are summed
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) acc[c]! += xs[base + c]!;
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
    const [ra, rb] = [a.shape.length, b.shape.length];
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    const batch = Math.max(batchA, batchB);
    if ((batchA !== batchB && batchA !== 1 && batchB !== 1) || k !== (transposeB ? b.shape[rb - 1] : b.shape[rb - 2])) return original(args);
    const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
    if (size(outShape) === 0 || k === 0) return original(args);

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

/** Copies the box at `begin` of extent `sizes` out of a row-major tensor of `shape`. */
function copyStrided(src: HeapArray, dst: HeapArray, shape: number[], begin: number[], sizes: number[]): void {
  const rank = shape.length;
  if (rank === 0 || dst.length === 0) {
    if (dst.length) dst[0] = src[0]!;
    return;
  }
  const strides = rowMajorStrides(shape);
  const run = sizes[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0);
  let dstOffset = 0;
  const outerCount = dst.length / run;
  for (let o = 0; o < outerCount; o++) {
    let srcOffset = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) srcOffset += (begin[d]! + index[d]!) * strides[d]!;
    dst.set(src.subarray(srcOffset, srcOffset + run), dstOffset);
    dstOffset += run;
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < sizes[d]!) break;
      index[d] = 0;
    }
  }
}

/** out = x repeated reps[d] times along each axis d. Rows of the output are built from rows of x. */
function tileInto(src: HeapArray, dst: HeapArray, shape: number[], reps: number[]): void {
  const rank = shape.length;
  if (rank === 0 || dst.length === 0) {
    dst.fill(src[0] ?? 0);
    return;
  }
  const inner = shape[rank - 1]!;
  const outInner = inner * reps[rank - 1]!;
  const outShape = shape.map((d, i) => d * reps[i]!);
  const strides = rowMajorStrides(shape);
  const index = new Array<number>(rank - 1).fill(0);
  for (let o = 0, dstOffset = 0, rows = dst.length / outInner; o < rows; o++, dstOffset += outInner) {
    let s = 0;
    for (let d = 0; d < rank - 1; d++) s += (index[d]! % shape[d]!) * strides[d]!;
    if (inner === 1) dst.fill(src[s]!, dstOffset, dstOffset + outInner);
    else for (let j = 0; j < outInner; j += inner) dst.set(src.subarray(s, s + inner), dstOffset + j);
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
}

/** Row-major transpose: out[i_perm...] = x[i...]. Merges dimensions that stay adjacent, then runs a
 *  cache-blocked 2-D kernel for (batched) matrix transposes or a strided loop otherwise. */
export function transposeInto(src: HeapArray, dst: HeapArray, shape: number[], perm: number[]): void {
  const [dims, p] = simplifyPermutation(shape, perm);
  const rank = dims.length;
  if (rank <= 1) {
    dst.set(src.subarray(0, dst.length));
    return;
  }
  if (rank === 2 || (rank === 3 && p[0] === 0)) {
    const batch = rank === 3 ? dims[0]! : 1;
    transposeMatrices(src, dst, batch, dims[rank - 2]!, dims[rank - 1]!);
    return;
  }
  const inStrides = rowMajorStrides(dims);
  const outDims = p.map((d) => dims[d]!);
  const strideOf = p.map((d) => inStrides[d]!);
  const inner = outDims[rank - 1]!;
  const innerStride = strideOf[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0);
  let dstOffset = 0;
  for (let o = 0, outer = dst.length / inner; o < outer; o++) {
    let s = 0;
    for (let d = 0; d < rank - 1; d++) s += index[d]! * strideOf[d]!;
    for (let j = 0; j < inner; j++, s += innerStride) dst[dstOffset++] = src[s]!;
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < outDims[d]!) break;
      index[d] = 0;
    }
  }
}

const BLOCK = 16;

/**
 * `batch` matrices of (rows, cols) -> (cols, rows), in BLOCK x BLOCK tiles so both sides stay in cache,
 * each full tile moved as 4x4 register blocks (~0.8 ns/element, 2-3x a plain tiled loop).
 */
function transposeMatrices(src: HeapArray, dst: HeapArray, batch: number, rows: number, cols: number): void {
  const matrix = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * matrix;
    for (let i0 = 0; i0 < rows; i0 += BLOCK) {
      const i1 = Math.min(i0 + BLOCK, rows);
      for (let j0 = 0; j0 < cols; j0 += BLOCK) {
        const j1 = Math.min(j0 + BLOCK, cols);
        if (i1 - i0 === BLOCK && j1 - j0 === BLOCK) {
          for (let i = i0; i < i1; i += 4) {
            for (let j = j0; j < j1; j += 4) transpose4x4(src, dst, base + i * cols + j, cols, base + j * rows + i, rows);
          }
        } else {
          for (let i = i0; i < i1; i++) {
            for (let j = j0, s = base + i * cols + j0, d = base + j0 * rows + i; j < j1; j++, s++, d += rows) dst[d] = src[s]!;
          }
        }
      }
    }
  }
}

function transpose4x4(src: HeapArray, dst: HeapArray, s0: number, srcStride: number, d0: number, dstStride: number): void {
  const s1 = s0 + srcStride;
  const s2 = s1 + srcStride;
  const s3 = s2 + srcStride;
  const a00 = src[s0]!, a01 = src[s0 + 1]!, a02 = src[s0 + 2]!, a03 = src[s0 + 3]!;
  const a10 = src[s1]!, a11 = src[s1 + 1]!, a12 = src[s1 + 2]!, a13 = src[s1 + 3]!;
  const a20 = src[s2]!, a21 = src[s2 + 1]!, a22 = src[s2 + 2]!, a23 = src[s2 + 3]!;
  const a30 = src[s3]!, a31 = src[s3 + 1]!, a32 = src[s3 + 2]!, a33 = src[s3 + 3]!;
  const d1 = d0 + dstStride;
  const d2 = d1 + dstStride;
  const d3 = d2 + dstStride;
  dst[d0] = a00; dst[d0 + 1] = a10; dst[d0 + 2] = a20; dst[d0 + 3] = a30;
  dst[d1] = a01; dst[d1 + 1] = a11; dst[d1 + 2] = a21; dst[d1 + 3] = a31;
  dst[d2] = a02; dst[d2 + 1] = a12; dst[d2 + 2] = a22; dst[d2 + 3] = a32;
  dst[d3] = a03; dst[d3 + 1] = a13; dst[d3 + 2] = a23; dst[d3 + 3] = a33;
}

/** Drops size-1 axes and merges input axes that the permutation keeps adjacent and in order. */
function simplifyPermutation(shape: number[], perm: number[]): [number[], number[]] {
  const kept = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const renumber = new Map(kept.map((axis, i) => [axis, i]));
  const dims = kept.map((axis) => shape[axis]!);
  const p = perm.filter((axis) => renumber.has(axis)).map((axis) => renumber.get(axis)!);
  // Groups of output positions whose input axes are consecutive.
  const groups: number[][] = [];
  for (const axis of p) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1]! + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  const byInput = [...groups].sort((g, h) => g[0]! - h[0]!);
  const newDims = byInput.map((g) => g.reduce((acc, axis) => acc * dims[axis]!, 1));
  const newPerm = groups.map((g) => byInput.indexOf(g));
  return [newDims, newPerm];
}

function rowMajorStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  return strides;
}
