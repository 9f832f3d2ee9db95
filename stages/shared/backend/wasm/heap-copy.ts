// Copies between typed-array views of the wasm heap for the kernels in kernels.ts: strided
// slices, tiles and transposes. Plain loops tuned on V8 (4x4 register tiles, unrolled runs), because
// these run on every training step and the backend's own versions are several times slower.

export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** Copies the box at `begin` of extent `sizes` out of a row-major tensor of `shape`. */
export function copyStrided(src: HeapArray, dst: HeapArray, shape: number[], begin: number[], sizes: number[]): void {
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
export function tileInto(src: HeapArray, dst: HeapArray, shape: number[], reps: number[]): void {
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
    if (innerStride === 1 && inner % 4 === 0) {
      // Contiguous runs (e.g. head vectors): copying 4 at a time is ~2x a plain loop.
      for (let j = 0; j < inner; j += 4, s += 4, dstOffset += 4) {
        dst[dstOffset] = src[s]!;
        dst[dstOffset + 1] = src[s + 1]!;
        dst[dstOffset + 2] = src[s + 2]!;
        dst[dstOffset + 3] = src[s + 3]!;
      }
    } else {
      for (let j = 0; j < inner; j++, s += innerStride) dst[dstOffset++] = src[s]!;
    }
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
