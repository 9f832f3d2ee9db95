// tempa's Node-API addon (native/): what it exports and how it loads. Every function takes the memory
// (the wasm heap), byte offsets of float32 operands in it and sizes, and runs one kernel in place.
import { createRequire } from 'node:module';

export interface NativeAddon {
  /** C_i = op(A_i) op(B_i) (+ a bias row) for each batch slice; strides in elements (0 broadcasts). */
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
    biasOffset?: number,
  ): void;
  /** x * sigmoid(x (c2 + c1 x^2)) into y; with dy, its gradient into dx. */
  gelu(memory: Uint8Array, x: number, y: number, count: number, c1: number, c2: number): void;
  gelu(memory: Uint8Array, x: number, dy: number, dx: number, count: number, c1: number, c2: number): void;
  /** consts: see ADAMW_KERNEL in ../contracts.ts. */
  adamw(memory: Uint8Array, p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, count: number, consts: Float32Array): void;
  /** Causal attention of qkv (batch*seq, 3C) into y (batch*seq, C), keeping probs (batch*heads, seq, seq). */
  attention(memory: Uint8Array, qkv: number, y: number, probs: number, batch: number, seq: number, heads: number, headSize: number, scale: number): void;
  attentionBackward(memory: Uint8Array, qkv: number, probs: number, dy: number, dqkv: number, batch: number, seq: number, heads: number, headSize: number, scale: number): void;
  /**
   * Attention of `seq` new tokens of each row over its cached columns, writing their keys and values in
   * place into k, v (slotCount*heads, capacity, headSize) at columns cached..: row b into slot slots[b],
   * attending from column starts[b] (slots and starts int32, one per row, each slot used once).
   */
  cachedAttention(
    memory: Uint8Array,
    qkv: number,
    k: number,
    v: number,
    y: number,
    slots: number,
    starts: number,
    batch: number,
    seq: number,
    heads: number,
    headSize: number,
    scale: number,
    cached: number,
    capacity: number,
    slotCount: number,
  ): void;
  /** LayerNorm of x (rows, cols) into y, keeping each row's mean and 1/std. */
  layerNorm(memory: Uint8Array, x: number, weight: number, bias: number, y: number, mean: number, rstd: number, rows: number, cols: number, eps: number): void;
  layerNormBackward(memory: Uint8Array, dy: number, x: number, weight: number, mean: number, rstd: number, dx: number, dweight: number, dbias: number, rows: number, cols: number): void;
  /** The sum of the rows of x (rows, cols) into out (cols). */
  columnSum(memory: Uint8Array, x: number, out: number, rows: number, cols: number): void;
  /** Softmax cross-entropy of logits (rows, vocab) against int32 targets, weighted per row: loss (1 float) and probs. */
  crossEntropy(memory: Uint8Array, logits: number, targets: number, weights: number, probs: number, loss: number, rows: number, vocab: number): void;
  /** (probs - onehot(targets)) * weights * dy into dlogits; dy is one float in memory. */
  crossEntropyBackward(memory: Uint8Array, probs: number, targets: number, weights: number, dy: number, dlogits: number, rows: number, vocab: number): void;
  /** The sum of the squares of `count` floats, accumulated in double. */
  sumSquares(memory: Uint8Array, x: number, count: number): number;
  /** Threads the kernels split their work over (each GEMM part runs on one). */
  threads(): number;
  /**
   * One single-threaded C = alpha op(A) op(B) + beta C, row-major with leading dimensions, on a named
   * library of gemmLibrary().choices (a micro-kernel of tempa's GEMM, or 'system'): for tests and benchmarks.
   */
  sgemm(
    memory: Uint8Array | Float32Array,
    library: string,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    aOffset: number,
    lda: number,
    bOffset: number,
    ldb: number,
    beta: number,
    cOffset: number,
    ldc: number,
  ): void;
  /** The GEMM the matrix products run on ('tempa GEMM, avx512 micro-kernel 8x32' or 'OpenBLAS 0.3.21, Haswell kernels'), why, and the choices here. */
  gemmLibrary(): { name: string; reason: string; choices: string[] };
  /** The kernels' calling convention (TEMPA_ADDON_INTERFACE in napi.c). */
  interfaceVersion(): number;
}

/** Must equal TEMPA_ADDON_INTERFACE in native/src/napi.c: bump both when a kernel's arguments change. */
const INTERFACE_VERSION = 2;

const FUNCTIONS = ['gemm', 'gelu', 'adamw', 'attention', 'attentionBackward', 'cachedAttention', 'layerNorm', 'layerNormBackward', 'columnSum', 'crossEntropy', 'crossEntropyBackward', 'sumSquares', 'threads', 'sgemm', 'gemmLibrary', 'interfaceVersion'] as const satisfies ReadonlyArray<keyof NativeAddon>;

const ADDON_PATH = '../../../../native/build/Release/tempa_native.node';

/** The addon, or why it cannot load (not built: no C compiler at install). */
export function loadNativeAddon(): { addon: NativeAddon } | { error: string } {
  if (process.env.TEMPA_NATIVE === '0') return { error: 'disabled by TEMPA_NATIVE=0' };
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Record<string, unknown>;
    const missing = FUNCTIONS.filter((name) => typeof addon[name] !== 'function');
    // A build from an older checkout lacks newer kernels: rebuilding fixes it, guessing would not.
    if (missing.length > 0) return { error: `addon out of date (no ${missing.join(', ')}): run \`npm run install\` to rebuild it` };
    const built = (addon as unknown as NativeAddon).interfaceVersion();
    if (built !== INTERFACE_VERSION) return { error: `addon out of date (kernel interface ${built}, this checkout needs ${INTERFACE_VERSION}): run \`npm run install\` to rebuild it` };
    return { addon: addon as unknown as NativeAddon };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { error: code === 'MODULE_NOT_FOUND' ? 'addon not built' : `addon failed to load: ${(error as Error).message.split('\n')[0]}` };
  }
}
