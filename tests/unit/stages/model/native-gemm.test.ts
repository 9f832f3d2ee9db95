// tempa's own GEMM (native/src/sgemm.c) on every micro-kernel this CPU runs, and the system BLAS where
// linked, against a float64 reference: odd sizes across the blocking (1 to 257), every transpose,
// padded leading dimensions, alpha, beta (0 must not read C), one row, empty products; the threaded
// batched products with a bias; and bit-identical results on 1 and 3 threads. Skipped where the addon
// did not build.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadNativeAddon, type NativeAddon } from '../../../../stages/shared/backend/native/addon.ts';

const loaded = loadNativeAddon();
const skip = 'error' in loaded ? `native addon unavailable: ${loaded.error}` : false;
const addon = 'addon' in loaded ? loaded.addon : (undefined as unknown as NativeAddon);
const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/native-gemm-hashes.ts');

/** Deterministic values in [-1, 1). */
function filled(count: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  /** Extra floats after each stored row of A, B and C. */
  pad: number;
}

/** A stored row-major as `rows` rows of `cols`, ld apart, NaN in the padding (reading it would show). */
function stored(rows: number, cols: number, ld: number, seed: number): Float32Array {
  const values = filled(rows * ld, seed);
  for (let r = 0; r < rows; r++) values.fill(NaN, r * ld + cols, (r + 1) * ld);
  return values;
}

/** A case's operands as stored, and each element of C before and after in float64 with its error bound. */
interface Problem {
  memory: Float32Array;
  a: Float32Array;
  b: Float32Array;
  c0: Float32Array;
  want: Float64Array;
  bound: Float64Array;
}

const problems = new Map<string, Problem>();

/** The case's operands (NaN in the padding of A and B, and in C when beta is 0, which must not be read) and float64 answer, computed once for every library. */
function problem(c: Case, seed: number): Problem {
  const key = `${seed} ${JSON.stringify(c)}`;
  const known = problems.get(key);
  if (known) return known;
  const { m, n, k, transA, transB, alpha, beta, pad } = c;
  const [aRows, aCols, bRows, bCols] = [transA ? k : m, transA ? m : k, transB ? n : k, transB ? k : n];
  const [lda, ldb, ldc] = [aCols + pad, bCols + pad, n + pad];
  const a = stored(aRows, aCols, Math.max(lda, 1), seed);
  const b = stored(bRows, bCols, Math.max(ldb, 1), seed + 1);
  const c0 = filled(m * ldc, seed + 2);
  if (beta === 0) for (let i = 0; i < m; i++) c0.fill(NaN, i * ldc, i * ldc + n);
  const [want, bound] = [new Float64Array(m * n), new Float64Array(m * n)];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let [sum, magnitude] = [0, 0];
      for (let p = 0; p < k; p++) {
        const term = (transA ? a[p * lda + i]! : a[i * lda + p]!) * (transB ? b[j * ldb + p]! : b[p * ldb + j]!);
        sum += term;
        magnitude += Math.abs(term);
      }
      const old = beta === 0 ? 0 : c0[i * ldc + j]!;
      want[i * n + j] = alpha * sum + beta * old;
      // (k + 2) float32 epsilons of everything summed: a wrong index or block is far above it.
      bound[i * n + j] = (k + 2) * 1.2e-7 * (Math.abs(alpha) * magnitude + Math.abs(beta * old)) + 1e-30;
    }
  }
  const made = { memory: new Float32Array(a.length + b.length + c0.length), a, b, c0, want, bound };
  problems.set(key, made);
  return made;
}

/** Runs one case on `library`; returns its largest error over the element's bound (above 1 is wrong) and checks C's padding is untouched. */
function runCase(library: string, c: Case, seed: number): number {
  const { m, n, k, transA, transB, alpha, beta } = c;
  const { memory, a, b, c0, want, bound } = problem(c, seed);
  const ldc = n + c.pad;
  memory.set(a, 0);
  memory.set(b, a.length);
  memory.set(c0, a.length + b.length);
  const cAt = a.length + b.length;
  const [lda, ldb] = [(transA ? m : k) + c.pad, (transB ? k : n) + c.pad];
  addon.sgemm(memory, library, transA, transB, m, n, k, alpha, 0, Math.max(lda, 1), a.length * 4, Math.max(ldb, 1), beta, cAt * 4, Math.max(ldc, 1));
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const got = memory[cAt + i * ldc + j]!;
      worst = Math.max(worst, Number.isNaN(got) ? Infinity : Math.abs(got - want[i * n + j]!) / bound[i * n + j]!);
    }
    for (let j = n; j < ldc; j++) assert.ok(Object.is(memory[cAt + i * ldc + j], c0[i * ldc + j]), `${library}: C padding written at row ${i}`);
  }
  return worst;
}

const SIZES = [1, 3, 17, 63, 129, 257];

describe('native GEMM against float64', { skip }, () => {
  const libraries = skip ? [] : addon.gemmLibrary().choices;

  it('runs on at least one micro-kernel and names what runs', () => {
    const { name, reason, choices } = addon.gemmLibrary();
    assert.ok(choices.includes('portable'), `choices: ${choices}`);
    assert.match(name, /^(tempa GEMM, \w+ micro-kernel \d+x\d+|OpenBLAS .+|Accelerate)$/);
    assert.ok(reason.length > 0);
  });

  for (const library of libraries) {
    it(`${library}: every size pair of ${SIZES.join(', ')} with k across the blocking, all transposes, alpha, beta and padded rows`, () => {
      let seed = 1;
      for (const m of SIZES) {
        for (const n of SIZES) {
          for (const [t, transA, transB] of [[0, false, false], [1, true, false], [2, false, true], [3, true, true]] as const) {
            // k walks the sizes with m and n, so every k meets every transpose; alpha, beta and padding vary.
            const k = SIZES[(SIZES.indexOf(m) + SIZES.indexOf(n) + t) % SIZES.length]!;
            const c: Case = { m, n, k, transA, transB, alpha: [1, 0.75, -1.5][seed % 3]!, beta: [0, 1, -0.5][(seed >> 1) % 3]!, pad: [0, 3][seed % 2]! };
            const worst = runCase(library, c, seed++);
            assert.ok(worst <= 1, `${library} ${JSON.stringify(c)}: error ${worst.toFixed(2)}x its bound`);
          }
        }
      }
    });

    it(`${library}: k past several KC blocks, n wide enough that A is packed, one row, one column, and empty products`, () => {
      const cases: Case[] = [
        { m: 37, n: 70, k: 777, transA: false, transB: true, alpha: 1, beta: 1, pad: 1 },
        { m: 70, n: 545, k: 300, transA: true, transB: false, alpha: 1, beta: 1, pad: 1 },
        { m: 33, n: 600, k: 40, transA: false, transB: true, alpha: -1, beta: 0, pad: 0 },
        { m: 1, n: 257, k: 300, transA: false, transB: false, alpha: 1, beta: 0, pad: 0 },
        { m: 1, n: 1, k: 257, transA: true, transB: true, alpha: 2, beta: 0, pad: 0 },
        { m: 257, n: 1, k: 65, transA: true, transB: false, alpha: 1, beta: 1, pad: 2 },
        { m: 5, n: 7, k: 0, transA: false, transB: false, alpha: 1, beta: 0.5, pad: 0 },
        { m: 5, n: 7, k: 0, transA: false, transB: false, alpha: 1, beta: 0, pad: 1 },
        { m: 0, n: 7, k: 3, transA: false, transB: false, alpha: 1, beta: 0, pad: 0 },
        { m: 4, n: 0, k: 3, transA: true, transB: false, alpha: 1, beta: 1, pad: 0 },
      ];
      cases.forEach((c, i) => assert.ok(runCase(library, c, 1000 + i) <= 1, `${library} ${JSON.stringify(c)}`));
    });
  }

  it('every micro-kernel gives the same bits on one problem as the GEMM chosen at load (when that is one of them)', () => {
    const { name } = addon.gemmLibrary();
    const kernel = /^tempa GEMM, (\w+) micro-kernel/.exec(name)?.[1];
    if (!kernel) return;
    const [m, n, k] = [67, 45, 300];
    const memory = new Float32Array(m * k + k * n + 2 * m * n);
    memory.set(filled(m * k + k * n, 7));
    const [b, c1, c2] = [m * k, m * k + k * n, m * k + k * n + m * n].map((f) => f * 4) as [number, number, number];
    addon.sgemm(memory, kernel, false, false, m, n, k, 1, 0, k, b, n, 0, c1, n);
    addon.gemm(new Uint8Array(memory.buffer), 0, b, c2, 1, m, n, k, false, false, 0, 0);
    assert.deepEqual(memory.subarray(m * k + k * n + m * n), memory.subarray(m * k + k * n, m * k + k * n + m * n));
  });

  it('rejects a library this machine lacks and a leading dimension shorter than its row', () => {
    const memory = new Float32Array(64);
    assert.throws(() => addon.sgemm(memory, 'sse9', false, false, 2, 2, 2, 1, 0, 2, 16, 2, 0, 32, 2), /tempa_native\.sgemm: no GEMM library 'sse9' on this machine/);
    assert.throws(() => addon.sgemm(memory, 'portable', false, false, 2, 2, 3, 1, 0, 2, 16, 2, 0, 32, 2), /leading dimension is shorter than its row/);
  });
});

describe('native batched products with a bias', { skip }, () => {
  it('match float64 on odd shapes, broadcast and per-slice B, all transposes', () => {
    for (const [batch, m, n, k, broadcastB] of [[1, 129, 17, 63, false], [3, 17, 63, 129, false], [4, 63, 3, 257, true], [2, 1, 129, 17, false]] as const) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        if (transA && broadcastB) continue; // the kernel takes it slice by slice: same path as the others
        const [aCount, bCount, cCount] = [batch * m * k, (broadcastB ? 1 : batch) * k * n, batch * m * n];
        const memory = new Float32Array(aCount + bCount + cCount + n);
        memory.set(filled(aCount + bCount, m + n + k), 0);
        memory.set(filled(n, 5), aCount + bCount + cCount);
        addon.gemm(new Uint8Array(memory.buffer), 0, aCount * 4, (aCount + bCount) * 4, batch, m, n, k, transA, transB, m * k, broadcastB ? 0 : k * n, (aCount + bCount + cCount) * 4);
        for (let s = 0; s < batch; s++) {
          const [a0, b0] = [s * m * k, aCount + (broadcastB ? 0 : s * k * n)];
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let want = memory[aCount + bCount + cCount + j]!;
              let magnitude = Math.abs(want);
              for (let p = 0; p < k; p++) {
                const term = memory[a0 + (transA ? p * m + i : i * k + p)]! * memory[b0 + (transB ? j * k + p : p * n + j)]!;
                want += term;
                magnitude += Math.abs(term);
              }
              const got = memory[aCount + bCount + s * m * n + i * n + j]!;
              assert.ok(Math.abs(got - want) <= (k + 2) * 1.2e-7 * magnitude, `batch ${batch} ${m}x${n}x${k} tA ${transA} tB ${transB}: [${s}, ${i}, ${j}] ${got} vs ${want}`);
            }
          }
        }
      }
    }
  });
});

describe('native kernel results do not depend on the thread count', { skip }, () => {
  /** The fixture's hashes under the given environment. */
  const hashes = async (env: Record<string, string>) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, ...env }, encoding: 'utf8' });
    return JSON.parse(stdout) as Record<string, string | number>;
  };

  const kernels = skip ? [] : addon.gemmLibrary().choices.filter((c) => c !== 'system');
  for (const kernel of kernels) {
    it(`${kernel}: TEMPA_THREADS=1, 2, 3 and 7 give bit-identical products, attention and reductions`, async () => {
      const counts = [1, 2, 3, 7];
      const [one, ...others] = await Promise.all(counts.map((n) => hashes({ TEMPA_THREADS: String(n), TEMPA_BLAS: kernel })));
      assert.deepEqual([one!, ...others].map((h) => h.threads), counts);
      assert.match(String(one!.gemm), new RegExp(`^tempa GEMM, ${kernel} micro-kernel`));
      assert.ok(['layerNormBackward', 'columnSum', 'crossEntropy'].every((name) => name in one!), 'the fixture hashes the reductions');
      others.forEach((h, i) => assert.deepEqual({ ...h, threads: 1 }, one, `TEMPA_THREADS=${counts[i + 1]}`));
    });
  }
});
