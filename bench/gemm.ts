// `node --import tsx bench/gemm.ts [--rounds N]`: single-thread GFLOP/s of the native backend's matrix
// products on the model's own shapes (training and decoding, the bench:train sizes), the same run:
// tempa's GEMM on each micro-kernel this CPU runs, the system BLAS where the addon links one, and the
// wasm backend's matMul. Time is the process's CPU time (all of these run on the calling thread), which
// other jobs on a shared machine move far less than wall time; rounds interleave the libraries, and
// each cell is the best round.
import { parseArgs } from 'node:util';
import { loadNativeAddon } from '../stages/shared/backend/native/addon.ts';
import { initTf, type TF } from '../stages/shared/backend/tf.ts';
import { printTable } from './timing.ts';

interface Shape {
  label: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** The products of one training step of a GPT of width C over `tokens` rows, and decoding 16 rows. */
function shapesOf(model: string, C: number, T: number, tokens: number): Shape[] {
  const s = (label: string, m: number, n: number, k: number, transA = false, transB = false): Shape => ({ label: `${model} ${label}`, m, n, k, transA, transB });
  return [
    s('c_attn fwd', tokens, 3 * C, C),
    s('c_fc fwd', tokens, 4 * C, C),
    s('mlp proj fwd', tokens, C, 4 * C),
    s('c_fc dX', tokens, C, 4 * C, false, true),
    s('c_fc dW', C, 4 * C, tokens, true, false),
    s('lm_head fwd', tokens, 256, C),
    s('attn QK^T', 64, T, 32, false, true), // both sizes have heads of 32
    s('attn PV', 64, 32, T),
    s('attn dK', T, 32, 64, true, false),
    s('decode c_fc B16', 16, 4 * C, C),
  ];
}

const SHAPES = [...shapesOf('0.87M', 128, 128, 2048), ...shapesOf('4.9M', 256, 256, 2048)];

function filled(count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37));
}

/** CPU seconds per call of `fn`: the mean over enough calls to take ~60 ms. */
function secondsPerCall(fn: () => void): number {
  fn();
  let calls = 1;
  for (;;) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    if (ms > 60) return ms / 1000 / calls;
    calls *= 2;
  }
}

function wasmProduct(tf: TF, shape: Shape): () => void {
  const { m, n, k, transA, transB } = shape;
  const a = tf.tensor2d(filled(m * k), transA ? [k, m] : [m, k]);
  const b = tf.tensor2d(filled(k * n), transB ? [n, k] : [k, n]);
  // The wasm backend runs a kernel when it is called; reading the result back (dataSync) would time a copy.
  return () => tf.dispose(tf.matMul(a, b, transA, transB));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
  const rounds = Number(values.rounds ?? 3);
  const loaded = loadNativeAddon();
  if ('error' in loaded) throw new Error(`native addon unavailable: ${loaded.error}`);
  const { addon } = loaded;
  const { tf } = await initTf('wasm');
  const libraries = addon.gemmLibrary().choices;
  const columns = [...libraries.map((l) => (l === 'system' ? 'system BLAS' : `tempa ${l}`)), 'wasm'];
  process.stdout.write(`tempa GEMM benchmark: single-thread GFLOP/s of CPU time, best of ${rounds} interleaved rounds\n`);
  process.stdout.write(`addon default: ${addon.gemmLibrary().name} (${addon.gemmLibrary().reason}); OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}\n`);
  const rows: string[][] = [];
  for (const shape of SHAPES) {
    const { m, n, k, transA, transB } = shape;
    const memory = new Float32Array(m * k + k * n + m * n);
    memory.set(filled(m * k + k * n));
    const [lda, ldb] = [transA ? m : k, transB ? k : n];
    const runs = [
      ...libraries.map((library) => () => addon.sgemm(memory, library, transA, transB, m, n, k, 1, 0, lda, m * k * 4, ldb, 0, (m * k + k * n) * 4, n)),
      wasmProduct(tf, shape),
    ];
    const best = runs.map(() => Infinity);
    for (let r = 0; r < rounds; r++) runs.forEach((run, i) => (best[i] = Math.min(best[i]!, secondsPerCall(run))));
    const gflops = best.map((s) => (2 * m * n * k) / s / 1e9);
    const system = libraries.indexOf('system');
    const bundled = gflops[0]!;
    const ratio = system >= 0 ? `${(bundled / gflops[system]!).toFixed(2)}x` : '';
    rows.push([`${shape.label} (${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}x${n}x${k})`, ...gflops.map((g) => g.toFixed(1)), ratio]);
  }
  printTable((line) => process.stdout.write(`${line}\n`), 'GFLOP/s per shape (m x n x k)', ['product', ...columns, `tempa ${libraries[0]} / system`], rows);
}

await main();
