// The native backend (wasm kernels, the addon's matrix products and the fused kernels of tempa's addon):
// every native kernel against the pure-JS cpu backend on odd, broadcast,
// threaded and edge-case shapes; training steps' loss and gradients against cpu within 1e-5 relative
// (attention over several query blocks, one token, threads); KV-cache decoding against the full forward;
// the gradient norm against the composite; AdamW bit-identical to the composite update;
// the same losses on every run; no leaks; and a clear fallback when the addon is missing. Skipped, with
// the reason, where the addon did not build (no compiler at install).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineError } from '../../../../engine/errors.ts';
import { ATTENTION_KERNEL, CACHED_ATTENTION_KERNEL, CROSS_ENTROPY_KERNEL, GELU_KERNEL, GLOBAL_NORM_KERNEL, LAYER_NORM_KERNEL, LINEAR_KERNEL } from '../../../../stages/shared/backend/contracts.ts';
import { createKVCache, disposeKVCache, forward, forwardStep, initGPT } from '../../../../stages/shared/model/gpt.ts';
import { type GPTConfig } from '../../../../stages/shared/model/config.ts';
import { loadNativeAddon } from '../../../../stages/shared/backend/native/addon.ts';
import { adamwStep, clipGradsByGlobalNorm, createAdamW, disposeAdamW } from '../../../../stages/shared/train/optim.ts';
import { initTf, type TF, type Tensor } from '../../../../stages/shared/backend/tf.ts';
import { assertSameLossAndGrads, checkLayerNormKernel, lossAndGrads, THREADED, trainFixedBatch } from './backend-compare.ts';
import { checkPaddedDecode } from './padded-decode.ts';
import { relativeError, TINY } from './tiny.ts';

const loaded = loadNativeAddon();
const skip = 'error' in loaded ? `native addon unavailable: ${loaded.error}` : false;

/** Both fused kernels the model takes when the backend has them. */
const fusedKernelsRegistered = ({ tf }: { tf: TF }) => [ATTENTION_KERNEL, LAYER_NORM_KERNEL].every((name) => tf.getKernel(name, 'wasm') !== undefined);

const randn = (tf: TF, shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** Matrix products and sums, each computed on cpu and on native. */
const CASES: Array<[string, (tf: TF) => Tensor]> = [
  ['2-D', (tf) => tf.matMul(randn(tf, [7, 5], 1), randn(tf, [5, 3], 2))],
  ['2-D transposeA', (tf) => tf.matMul(randn(tf, [5, 7], 1), randn(tf, [5, 3], 2), true, false)],
  ['2-D transposeB', (tf) => tf.matMul(randn(tf, [7, 5], 1), randn(tf, [3, 5], 2), false, true)],
  ['2-D both transposed', (tf) => tf.matMul(randn(tf, [5, 7], 1), randn(tf, [3, 5], 2), true, true)],
  ['odd sizes past GEMM blocking', (tf) => tf.matMul(randn(tf, [131, 67], 1), randn(tf, [67, 97], 2))],
  ['one element', (tf) => tf.matMul(randn(tf, [1, 1], 1), randn(tf, [1, 1], 2))],
  ['row times column', (tf) => tf.matMul(randn(tf, [1, 9], 1), randn(tf, [9, 1], 2))],
  ['empty rows', (tf) => tf.matMul(randn(tf, [0, 5], 1), randn(tf, [5, 3], 2))],
  ['empty inner dimension', (tf) => tf.matMul(tf.zeros([4, 0]), tf.zeros([0, 3]))],
  ['batched', (tf) => tf.matMul(randn(tf, [4, 7, 5], 1), randn(tf, [4, 5, 3], 2))],
  ['batched transposeA', (tf) => tf.matMul(randn(tf, [4, 5, 7], 1), randn(tf, [4, 5, 3], 2), true, false)],
  ['batched transposeB', (tf) => tf.matMul(randn(tf, [4, 7, 5], 1), randn(tf, [4, 3, 5], 2), false, true)],
  ['batched, 4-D', (tf) => tf.matMul(randn(tf, [2, 3, 7, 5], 1), randn(tf, [2, 3, 5, 3], 2))],
  ['broadcast b (stacked into one GEMM)', (tf) => tf.matMul(randn(tf, [4, 7, 5], 1), randn(tf, [5, 3], 2))],
  ['broadcast b, transposeA', (tf) => tf.matMul(randn(tf, [4, 5, 7], 1), randn(tf, [5, 3], 2), true, false)],
  ['broadcast a', (tf) => tf.matMul(randn(tf, [7, 5], 1), randn(tf, [4, 5, 3], 2))],
  ['broadcast batch dims of 1', (tf) => tf.matMul(randn(tf, [1, 4, 7, 5], 1), randn(tf, [4, 5, 3], 2))],
  ['one row (a decoded token), odd sizes', (tf) => tf.matMul(randn(tf, [1, 67], 1), randn(tf, [67, 97], 2))],
  ['one row, transposeA', (tf) => tf.matMul(randn(tf, [67, 1], 1), randn(tf, [67, 97], 2), true, false)],
  ['one row, transposeB', (tf) => tf.matMul(randn(tf, [1, 67], 1), randn(tf, [97, 67], 2), false, true)],
  ['one row, fused + bias', (tf) => tf.fused.matMul({ a: randn(tf, [1, 67], 1) as never, b: randn(tf, [67, 97], 2) as never, bias: randn(tf, [97], 3) })],
  ['one row, fused + bias, transposeB', (tf) => tf.fused.matMul({ a: randn(tf, [1, 67], 1) as never, b: randn(tf, [97, 67], 2) as never, bias: randn(tf, [97], 3), transposeB: true })],
  ['decoding slices', (tf) => tf.matMul(randn(tf, [8, 1, 4], 1), randn(tf, [8, 6, 4], 2), false, true)],
  ['mixed broadcast (wasm fallback)', (tf) => tf.matMul(randn(tf, [2, 1, 3, 4], 1), randn(tf, [1, 2, 4, 2], 2))],
  ['fused + bias', (tf) => tf.fused.matMul({ a: randn(tf, [7, 5], 1) as never, b: randn(tf, [5, 3], 2) as never, bias: randn(tf, [3], 3) })],
  ['fused + bias, transposeB', (tf) => tf.fused.matMul({ a: randn(tf, [7, 5], 1) as never, b: randn(tf, [3, 5], 2) as never, bias: randn(tf, [3], 3), transposeB: true })],
  ['fused, no bias', (tf) => tf.fused.matMul({ a: randn(tf, [7, 5], 1) as never, b: randn(tf, [5, 3], 2) as never })],
  ['fused + relu (wasm fallback)', (tf) => tf.fused.matMul({ a: randn(tf, [7, 5], 1) as never, b: randn(tf, [5, 3], 2) as never, bias: randn(tf, [3], 3), activation: 'relu' })],
  [
    'matMul gradients (both operands)',
    (tf) => {
      const [da, db] = tf.grads((x: Tensor, y: Tensor) => tf.sum(tf.mul(tf.matMul(x, y, false, true), randn(tf, [4, 7, 3], 9))))([randn(tf, [4, 7, 5], 1), randn(tf, [4, 3, 5], 2)]);
      return tf.concat([tf.reshape(da!, [-1]), tf.reshape(db!, [-1])]);
    },
  ],
  ['sum over rows (bias gradient)', (tf) => tf.sum(randn(tf, [131, 67], 1), 0)],
  ['sum over rows, two threads', (tf) => tf.sum(randn(tf, [1001, 300], 1), 0)],
  ['sum over two leading axes, keepDims', (tf) => tf.sum(randn(tf, [3, 5, 7], 1), [0, 1], true)],
  ['sum of one row', (tf) => tf.sum(randn(tf, [1, 9], 1), 0)],
  ['sum of no rows', (tf) => tf.sum(tf.zeros([0, 4]), 0)],
  ['sum over the last axis (wasm fallback)', (tf) => tf.sum(randn(tf, [7, 5], 1), -1)],
];

async function evaluate(backend: 'cpu' | 'native'): Promise<Map<string, { shape: number[]; values: Float32Array }>> {
  const { tf } = await initTf(backend);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, make] of CASES) {
    const t = tf.tidy(() => make(tf));
    out.set(name, { shape: t.shape, values: t.dataSync() as Float32Array });
    t.dispose();
  }
  return out;
}

/** Losses of `steps` AdamW steps (weight decay on) and the final weights. */
async function train(backend: 'native' | 'wasm', steps: number) {
  const { tf } = await initTf(backend);
  return trainFixedBatch(tf, TINY, steps, 0.1);
}

describe('native backend', { skip }, () => {
  it('matrix products and sums equal the cpu backend on every shape, including fallbacks and edge cases', async () => {
    const cpu = await evaluate('cpu');
    const native = await evaluate('native');
    for (const [name] of CASES) {
      const [c, n] = [cpu.get(name)!, native.get(name)!];
      assert.deepEqual(n.shape, c.shape, name);
      assert.ok(n.values.length === 0 || relativeError(n.values, c.values) < 1e-5, `${name}: relative error ${relativeError(n.values, c.values)}`);
    }
  });

  it('a training step gives the cpu backend’s loss and gradients within 1e-5 relative', async () => {
    assertSameLossAndGrads(await lossAndGrads('native'), await lossAndGrads('cpu'));
  });

  it('fused attention and LayerNorm give the cpu loss and gradients over several query blocks, on two threads, and for one token', async () => {
    // Head size 88 and 131 positions: three query blocks, the last of 3 rows; 2x3 heads of 131x131 scores
    // and the matrix products are past the threading thresholds. (1, 1) is a single token.
    const config = THREADED;
    assert.equal(fusedKernelsRegistered(await initTf('native')), true);
    for (const batch of [[2, 131], [3, 64], [1, 1]] as Array<[number, number]>) {
      assertSameLossAndGrads(await lossAndGrads('native', config, batch), await lossAndGrads('cpu', config, batch), `batch ${batch}: `);
    }
  });

  it('the LayerNorm kernel matches float64 loops on an input split over threads', async () => {
    const { tf } = await initTf('native');
    checkLayerNormKernel(tf, LAYER_NORM_KERNEL);
  });

  it('fused KV-cache attention decodes the cpu backend’s full-forward logits, with no tensors left behind', async () => {
    // A 100-token prompt over 2x3 heads of size 88 is past the two-thread threshold; then single tokens.
    // 1 then 70 tokens outgrow the caches' first allocation (1 + 64 columns), which must keep what they hold.
    const config: GPTConfig = { ...TINY, nLayer: 2, nHead: 3, nEmbd: 264, blockSize: 131 };
    const rows = [0, 1].map((b) => Array.from({ length: 104 }, (_, i) => (i * 7 + b * 3) % config.vocabSize));
    const full = await (async () => {
      const { tf } = await initTf('cpu');
      const params = initGPT(tf, config, 5);
      const idx = tf.tensor2d(rows, [2, 104], 'int32');
      const logits = forward(tf, params, config, idx).arraySync() as number[][][];
      tf.dispose([idx, ...Object.values(params)]);
      return logits;
    })();
    const { tf } = await initTf('native');
    assert.ok(tf.getKernel(CACHED_ATTENTION_KERNEL, 'wasm'));
    const params = initGPT(tf, config, 5);
    const before = tf.memory().numTensors;
    for (const chunks of [[100, 1, 1, 1], [1, 2, 1], [1, 70, 2, 1]]) {
      const cache = createKVCache(config, 2);
      let start = 0;
      for (const length of chunks) {
        const step = tf.tensor2d(rows.map((r) => r.slice(start, start + length)), [2, length], 'int32');
        const logits = forwardStep(tf, params, config, step, cache);
        const got = logits.arraySync() as number[][];
        start += length;
        for (let b = 0; b < 2; b++) {
          const error = relativeError(got[b]!, full[b]![start - 1]!);
          assert.ok(error < 1e-5, `chunks ${chunks}, row ${b}, position ${start - 1}: relative error ${error}`);
        }
        tf.dispose([step, logits]);
      }
      disposeKVCache(cache);
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(Object.values(params));
  });

  it('fused KV-cache attention decodes a left-padded batch row by row as alone, and gives the padding no attention', async () => {
    const { tf } = await initTf('native');
    assert.ok(tf.getKernel(CACHED_ATTENTION_KERNEL, 'wasm'));
    const config: GPTConfig = { ...TINY, nLayer: 2, blockSize: 16 };
    const params = initGPT(tf, config, 4);
    checkPaddedDecode(tf, params, config, 1e-5);
    tf.dispose(Object.values(params));
  });

  it('the addon refuses slots, starts and columns that do not fit the caches', () => {
    if ('error' in loaded) return;
    const memory = new Uint8Array(4096);
    const rows = new Int32Array(memory.buffer, 2048, 2); // [slot, start] of the one row
    // One row of 2 new tokens, 1 head of size 4, caches of 1 slot x 2 columns.
    const call = (capacity: number) => loaded.addon.cachedAttention(memory, 0, 512, 1024, 1536, 2048, 2052, 1, 2, 1, 4, 0.5, 0, capacity, 1);
    rows.set([0, 0]);
    call(2);
    assert.throws(() => call(1), /cached \+ seq columns exceed the capacity/);
    rows.set([1, 0]);
    assert.throws(() => call(2), /slots must lie in 0..slotCount-1/);
    rows.set([0, 3]);
    assert.throws(() => call(2), /starts must lie in 0..cached\+seq/);
  });

  it('the fused gradient norm equals the composite one, and clipping scales by it', async () => {
    const shapes = [[0], [1], [7, 5], [65537]];
    const clip = async (backend: 'cpu' | 'native') => {
      const { tf } = await initTf(backend);
      const grads = Object.fromEntries(shapes.map((shape, i) => [`g${i}`, tf.tidy(() => tf.mul(randn(tf, shape, i + 1), 0.01))]));
      const norm = clipGradsByGlobalNorm(tf, grads, 1);
      const values = Object.values(grads).map((g) => g.dataSync() as Float32Array);
      tf.dispose(Object.values(grads));
      return { norm, values };
    };
    const [cpu, native] = [await clip('cpu'), await clip('native')];
    assert.ok(cpu.norm > 1, `the norm must be clipped to test scaling, got ${cpu.norm}`);
    assert.ok(Math.abs(native.norm - cpu.norm) / cpu.norm < 1e-6, `norm ${native.norm} vs ${cpu.norm}`);
    cpu.values.forEach((values, i) => assert.ok(values.length === 0 || relativeError(native.values[i]!, values) < 1e-6, `tensor ${i}`));
  });

  it('fused AdamW updates weights exactly as the composite ops do', async () => {
    // The same steps on wasm (composite AdamW, wasm matmuls) and native differ only by matmul rounding,
    // so compare one update from identical gradients instead: feed both the cpu gradients.
    // One extra parameter of 300,001 values is updated by several threads.
    const { tf } = await initTf('native');
    const big = Float32Array.from({ length: 300001 }, (_, i) => Math.sin(i) * 1e-2);
    const grads = { ...(await lossAndGrads('cpu')).grads, 'extra.weight': big };
    const updated: Record<string, Record<string, Float32Array>> = {};
    for (const backend of ['wasm', 'native'] as const) {
      await initTf(backend);
      const params = initGPT(tf, { ...TINY, nLayer: 2 }, 4);
      params['extra.weight'] = tf.variable(tf.tensor2d(Float32Array.from(big, (v) => v * 3), [1, big.length]));
      const opt = createAdamW(tf, params, { weightDecay: 0.1 });
      for (let step = 0; step < 3; step++) {
        const g = Object.fromEntries(Object.entries(grads).map(([name, values]) => [name, tf.tensor(values, params[name]!.shape, 'float32')]));
        adamwStep(tf, opt, params, g, 3e-3);
        tf.dispose(Object.values(g));
      }
      updated[backend] = Object.fromEntries(Object.entries(params).map(([name, p]) => [name, p.dataSync() as Float32Array]));
      disposeAdamW(opt);
      tf.dispose(Object.values(params));
    }
    for (const [name, w] of Object.entries(updated.wasm!)) assert.deepEqual(updated.native![name], w, name);
  });

  it('gives the same losses and weights on every run, leaks no tensors, and trains', async () => {
    const first = await train('native', 12);
    const second = await train('native', 12);
    assert.deepEqual(second.losses, first.losses);
    assert.deepEqual(second.weights, first.weights);
    assert.equal(first.tensors.at(-1), first.tensors[1], 'tensor count after step 2 and after the last step');
    assert.ok(first.losses.at(-1)! < first.losses[0]! - 1, `loss ${first.losses[0]} -> ${first.losses.at(-1)}`);
  });

  it('fused GELU and its gradient match the formula on odd sizes, threaded or not, and empty input', async () => {
    const { tf } = await initTf('native');
    const [c1, c2] = [2 * Math.sqrt(2 / Math.PI) * 0.044715, 2 * Math.sqrt(2 / Math.PI)];
    for (const count of [0, 1, 7, 65537, 200003]) {
      const x = Float32Array.from({ length: count }, (_, i) => Math.sin(i * 12.9898) * 8);
      const dy = Float32Array.from({ length: count }, (_, i) => Math.cos(i * 78.233));
      const [y, dx] = tf.tidy(() => {
        const xt = tf.tensor1d(x);
        const run = (inputs: Record<string, Tensor>) => (tf.engine().runKernel(GELU_KERNEL, inputs, { c1, c2 } as never) as Tensor).dataSync() as Float32Array;
        return [run({ x: xt }), run({ x: xt, dy: tf.tensor1d(dy) })];
      });
      assert.equal(y.length, count);
      for (let i = 0; i < count; i++) {
        const s = 1 / (1 + Math.exp(-(x[i]! * (x[i]! * x[i]! * c1 + c2))));
        const grad = dy[i]! * (s + x[i]! * s * (1 - s) * (3 * c1 * x[i]! * x[i]! + c2));
        assert.ok(Math.abs(y[i]! - x[i]! * s) <= 1e-5 * Math.max(1, Math.abs(x[i]! * s)), `gelu(${x[i]}) = ${y[i]}, expected ${x[i]! * s}`);
        assert.ok(Math.abs(dx[i]! - grad) <= 1e-5 * Math.max(1, Math.abs(grad)), `gelu'(${x[i]}) = ${dx[i]}, expected ${grad}`);
      }
    }
  });

  it('switching back to wasm restores wasm’s own kernels', async () => {
    await initTf('native');
    const { tf, backend } = await initTf('wasm');
    assert.equal(backend, 'wasm');
    assert.equal(tf.getKernel('TempaAdamW', 'wasm'), undefined);
    for (const name of [LINEAR_KERNEL, GELU_KERNEL, ATTENTION_KERNEL, CACHED_ATTENTION_KERNEL, LAYER_NORM_KERNEL, CROSS_ENTROPY_KERNEL, GLOBAL_NORM_KERNEL]) assert.equal(tf.getKernel(name, 'wasm'), undefined, name);
  });
});

describe('native backend selection', () => {
  it('auto uses native when the addon loads, and says which GEMM and why', async () => {
    const { backend, detail } = await initTf('auto');
    if (skip) assert.match(detail, /native (addon not built|addon failed to load|addon out of date|disabled by TEMPA_NATIVE=0)/);
    else {
      assert.equal(backend, 'native');
      assert.match(detail, /using native: wasm kernels, matrix products on (tempa GEMM, \w+ micro-kernel \d+x\d+|OpenBLAS [\d.]+, \w+ kernels|Accelerate).* \(.+\), \d+ threads$/);
    }
  });

  it('falls back to wasm with the reason when the addon is unavailable, and fails clearly when native is required', async () => {
    process.env.TEMPA_NATIVE = '0';
    try {
      const { backend, detail } = await initTf('auto');
      assert.equal(backend, 'wasm');
      assert.match(detail, /native disabled by TEMPA_NATIVE=0 \(needs a C compiler at npm install/);
      const error = await initTf('native').catch((e: unknown) => e);
      assert.ok(error instanceof PipelineError);
      assert.equal(error.message, 'TensorFlow.js backend `native` is unavailable: disabled by TEMPA_NATIVE=0');
      assert.match(error.hint ?? '', /apt install build-essential`/);
    } finally {
      delete process.env.TEMPA_NATIVE;
    }
  });
});
