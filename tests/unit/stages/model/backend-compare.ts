// What the backend tests share (training, native-kernels, native-threads): a few training steps on the
// fixed batch, one step's loss and gradients as plain arrays and their comparison across backends, and
// the LayerNorm kernel against float64 loops.
import assert from 'node:assert/strict';
import { gptLossAndGrads, initGPT, type GPTConfig } from '../../../../stages/shared/model/gpt.ts';
import { adamwStep, clipGradsByGlobalNorm, createAdamW, disposeAdamW } from '../../../../stages/shared/train/optim.ts';
import { initTf, type TF, type Tensor } from '../../../../stages/shared/backend/tf.ts';
import { batchTensors, relativeError, rng, TINY } from './tiny.ts';

/** A config whose attention spans three query blocks and whose norms and heads pass the threading thresholds. */
export const THREADED: GPTConfig = { ...TINY, nLayer: 1, nHead: 3, nEmbd: 264, blockSize: 131 };

/** Loss and gradients of one step of a 2-layer tiny model (or `config` on `batch`), as plain arrays. */
export async function lossAndGrads(backend: 'cpu' | 'native' | 'wasm', config: GPTConfig = { ...TINY, nLayer: 2 }, batch?: [number, number]) {
  const { tf } = await initTf(backend);
  const params = initGPT(tf, config, 4);
  const { idx, targets, mask } = batch ? randomBatch(tf, config.vocabSize, ...batch) : batchTensors(tf);
  const { loss, grads } = gptLossAndGrads(tf, params, config, idx, targets, mask);
  const result = { loss: loss.dataSync()[0]!, grads: Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, g.dataSync() as Float32Array])) };
  tf.dispose([loss, idx, targets, mask, ...Object.values(grads), ...Object.values(params)]);
  return result;
}

function randomBatch(tf: TF, vocab: number, B: number, T: number) {
  const next = rng(7);
  const ids = () => tf.tensor2d(Int32Array.from({ length: B * T }, () => Math.floor(next() * vocab)), [B, T], 'int32');
  return { idx: ids(), targets: ids(), mask: tf.ones([B, T]) };
}

/** The loss and every gradient of `actual` within `tolerance` relative of `expected` (the cpu backend's). */
export function assertSameLossAndGrads(actual: Awaited<ReturnType<typeof lossAndGrads>>, expected: Awaited<ReturnType<typeof lossAndGrads>>, label = '', tolerance = 1e-5): void {
  assert.ok(Math.abs(actual.loss - expected.loss) / expected.loss < tolerance, `${label}loss ${actual.loss} vs ${expected.loss}`);
  assert.deepEqual(Object.keys(actual.grads), Object.keys(expected.grads));
  for (const [name, g] of Object.entries(expected.grads)) {
    const error = relativeError(actual.grads[name]!, g);
    assert.ok(error < tolerance, `${label}${name}: relative error ${error}`);
  }
}

/**
 * `steps` AdamW steps (lr 1e-2, clip 1.0) of a model initialised with seed 1 on the fixed batch: every
 * step's loss, the tensor count after each step, and the final weights.
 */
export function trainFixedBatch(tf: TF, config: GPTConfig, steps: number, weightDecay: number) {
  const params = initGPT(tf, config, 1);
  const opt = createAdamW(tf, params, { weightDecay });
  const { idx, targets } = batchTensors(tf);
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { loss, grads } = gptLossAndGrads(tf, params, config, idx, targets);
    clipGradsByGlobalNorm(tf, grads, 1);
    adamwStep(tf, opt, params, grads, 1e-2);
    losses.push(loss.dataSync()[0]!);
    tf.dispose([loss, ...Object.values(grads)]);
    tensors.push(tf.memory().numTensors);
  }
  const weights = Object.fromEntries(Object.entries(params).map(([name, p]) => [name, p.dataSync() as Float32Array]));
  disposeAdamW(opt);
  tf.dispose([idx, targets, ...Object.values(params)]);
  return { losses, tensors, weights };
}


/**
 * The LayerNorm kernel on a (1001, 300) input, past the threading threshold, forward and gradient
 * against float64 loops of the same formulas.
 */
export function checkLayerNormKernel(tf: TF, kernelName: string): void {
  const [rows, cols] = [1001, 300];
  const next = rng(11);
  const data = (n: number, scale: number, offset = 0) => Float32Array.from({ length: n }, () => offset + (next() - 0.5) * scale);
  const [x, w, b, dy] = [data(rows * cols, 4, 1), data(cols, 1, 1), data(cols, 1), data(rows * cols, 2)];
  const run = (inputs: Record<string, Float32Array>, shapes: Record<string, number[]>) =>
    tf.tidy(() => (tf.engine().runKernel(kernelName, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v, shapes[k])])), { eps: 1e-5 } as never) as Tensor[]).map((t) => t.dataSync() as Float32Array));
  const [y, mean, rstd] = run({ x, weight: w, bias: b }, { x: [rows, cols], weight: [cols], bias: [cols] }) as [Float32Array, Float32Array, Float32Array];
  const [dx, dw, db] = run({ x, weight: w, mean, rstd, dy }, { x: [rows, cols], weight: [cols], mean: [rows], rstd: [rows], dy: [rows, cols] });
  const want = { y: new Float64Array(rows * cols), dx: new Float64Array(rows * cols), dw: new Float64Array(cols), db: new Float64Array(cols) };
  for (let r = 0; r < rows; r++) {
    const row = (a: Float32Array, c: number) => a[r * cols + c]!;
    let mu = 0;
    for (let c = 0; c < cols; c++) mu += row(x, c) / cols;
    let variance = 0;
    for (let c = 0; c < cols; c++) variance += (row(x, c) - mu) ** 2 / cols;
    const s = 1 / Math.sqrt(variance + 1e-5);
    let [m1, m2] = [0, 0];
    for (let c = 0; c < cols; c++) {
      const xhat = (row(x, c) - mu) * s;
      want.y[r * cols + c] = xhat * w[c]! + b[c]!;
      m1 += (row(dy, c) * w[c]!) / cols;
      m2 += (row(dy, c) * w[c]! * xhat) / cols;
      want.dw[c] = want.dw[c]! + row(dy, c) * xhat;
      want.db[c] = want.db[c]! + row(dy, c);
    }
    for (let c = 0; c < cols; c++) want.dx[r * cols + c] = s * (row(dy, c) * w[c]! - m1 - (row(x, c) - mu) * s * m2);
  }
  for (const [name, got] of Object.entries({ y, dx, dw, db })) {
    const error = relativeError(got!, want[name as keyof typeof want]);
    assert.ok(error < 1e-5, `LayerNorm ${name}: relative error ${error}`);
  }
}
