// Every kernel that tf.ts adds to or replaces in the wasm backend gives the pure-JS cpu backend's result,
// on odd shapes that exercise the blocked, strided and batched paths; and initTf's backend handling.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineError } from '../../../../engine/errors.ts';
import { initTf, type TF, type Tensor } from '../../../../stages/shared/backend/tf.ts';
import { maxAbsDiff } from './tiny.ts';

const randn = (tf: TF, shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
const ids = (tf: TF, values: number[], shape?: number[]) => tf.tensor(values, shape ?? [values.length], 'int32');

const CASES: Array<[string, (tf: TF) => Tensor]> = [
  ['Transpose 2-D, not a multiple of the block', (tf) => tf.transpose(randn(tf, [37, 53], 1))],
  ['Transpose batched matrices', (tf) => tf.transpose(randn(tf, [3, 37, 53], 1), [0, 2, 1])],
  ['Transpose (B*T, 3nh, hs) -> (3nh, B*T, hs)', (tf) => tf.transpose(randn(tf, [6, 5, 4], 1), [1, 0, 2])],
  ['Transpose 4-D', (tf) => tf.transpose(randn(tf, [2, 3, 4, 5], 1), [3, 1, 2, 0])],
  ['Transpose 5-D with a unit axis', (tf) => tf.transpose(randn(tf, [2, 3, 1, 4, 5], 1), [2, 4, 0, 3, 1])],
  ['Transpose int32', (tf) => tf.transpose(ids(tf, [1, 2, 3, 4, 5, 6], [2, 3]))],
  ['Slice strided', (tf) => tf.slice(randn(tf, [6, 5, 4], 1), [1, 2, 1], [3, 2, 2])],
  ['Slice contiguous', (tf) => tf.slice(randn(tf, [6, 5, 4], 1), [2, 0, 0], [3, 5, 4])],
  ['SplitV on axis 0', (tf) => tf.split(randn(tf, [6, 5, 4], 1), 3, 0)[1]!],
  ['SplitV uneven on axis 2', (tf) => tf.split(randn(tf, [6, 5, 4], 1), [1, 3], 2)[1]!],
  ['Unpack', (tf) => tf.unstack(randn(tf, [6, 5, 4], 1), 1)[3]!],
  ['GatherV2 axis 0', (tf) => tf.gather(randn(tf, [10, 4], 1), ids(tf, [3, 1, 3, 9]))],
  ['GatherV2 axis 1, 2-D indices', (tf) => tf.gather(randn(tf, [3, 10, 4], 1), ids(tf, [3, 1, 3, 9], [2, 2]), 1)],
  ['UnsortedSegmentSum', (tf) => tf.unsortedSegmentSum(randn(tf, [5, 4], 1), ids(tf, [3, 1, 3, 0, 1]) as never, 6)],
  ['Sum over leading axis', (tf) => tf.sum(randn(tf, [6, 5, 4], 1), 0)],
  ['Sum over leading axes, keepDims', (tf) => tf.sum(randn(tf, [6, 5, 4], 1), [0, 1], true)],
  ['Sum over the last axis', (tf) => tf.sum(randn(tf, [6, 5, 4], 1), -1)],
  ['Tile', (tf) => tf.tile(randn(tf, [2, 1, 3], 1), [2, 3, 2])],
  ['broadcastTo', (tf) => tf.broadcastTo(randn(tf, [5, 1], 1), [5, 4])],
  ['OneHot float32', (tf) => tf.oneHot(ids(tf, [1, -1, 3]), 4, 1, 0, 'float32')],
  ['Identity shares data', (tf) => tf.clone(randn(tf, [3, 4], 1))],
  ['MatMul', (tf) => tf.matMul(randn(tf, [7, 5], 1), randn(tf, [5, 3], 2))],
  ['MatMul transposeA', (tf) => tf.matMul(randn(tf, [5, 7], 1), randn(tf, [5, 3], 2), true, false)],
  ['MatMul transposeB', (tf) => tf.matMul(randn(tf, [7, 5], 1), randn(tf, [3, 5], 2), false, true)],
  ['MatMul both transposed', (tf) => tf.matMul(randn(tf, [5, 7], 1), randn(tf, [3, 5], 2), true, true)],
  ['BatchMatMul', (tf) => tf.matMul(randn(tf, [4, 7, 5], 1), randn(tf, [4, 5, 3], 2))],
  ['BatchMatMul transposeB', (tf) => tf.matMul(randn(tf, [4, 7, 5], 1), randn(tf, [4, 3, 5], 2), false, true)],
  ['BatchMatMul transposeA', (tf) => tf.matMul(randn(tf, [4, 5, 7], 1), randn(tf, [4, 5, 3], 2), true, false)],
  ['BatchMatMul broadcast b', (tf) => tf.matMul(randn(tf, [4, 7, 5], 1), randn(tf, [5, 3], 2))],
  ['BatchMatMul with tiny slices (decoding)', (tf) => tf.matMul(randn(tf, [8, 1, 4], 1), randn(tf, [8, 6, 4], 2), false, true)],
  ['BatchMatMul broadcast a', (tf) => tf.matMul(randn(tf, [7, 5], 1), randn(tf, [4, 5, 3], 2))],
  ['fused MatMul + bias', (tf) => tf.fused.matMul({ a: randn(tf, [7, 5], 1) as never, b: randn(tf, [5, 3], 2) as never, bias: randn(tf, [3], 3) })],
  [
    'embedding gradient (gather -> UnsortedSegmentSum)',
    (tf) => {
      const table = randn(tf, [10, 4], 1);
      const indices = ids(tf, [3, 1, 3, 9, 0, 3], [2, 3]);
      return tf.grad((t: Tensor) => tf.sum(tf.mul(tf.gather(t, indices), randn(tf, [2, 3, 4], 5))))(table);
    },
  ],
];

async function evaluate(backend: 'cpu' | 'wasm'): Promise<Map<string, { shape: number[]; values: Float32Array | Int32Array | Uint8Array }>> {
  const { tf } = await initTf(backend);
  const out = new Map<string, { shape: number[]; values: Float32Array | Int32Array | Uint8Array }>();
  for (const [name, make] of CASES) {
    const t = tf.tidy(() => make(tf));
    out.set(name, { shape: t.shape, values: t.dataSync() as Float32Array });
    t.dispose();
  }
  return out;
}

describe('wasm kernels', () => {
  it('match the cpu backend on every replaced kernel', async () => {
    const cpu = await evaluate('cpu');
    const wasm = await evaluate('wasm');
    for (const [name] of CASES) {
      const [c, w] = [cpu.get(name)!, wasm.get(name)!];
      assert.deepEqual(w.shape, c.shape, name);
      assert.ok(maxAbsDiff(w.values, c.values) < 1e-5, `${name}: max difference ${maxAbsDiff(w.values, c.values)}`);
    }
  });

  it('leave no tensors and no wasm memory behind in a matmul gradient', async () => {
    const { tf } = await initTf('wasm');
    const run = () =>
      tf.tidy(() => {
        const a = randn(tf, [4, 7, 5], 1);
        const b = randn(tf, [4, 3, 5], 2);
        const [da, db] = tf.grads((x: Tensor, y: Tensor) => tf.sum(tf.matMul(x, y, false, true)))([a, b]);
        return tf.add(tf.sum(da!), tf.sum(db!));
      });
    run().dispose();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) run().dispose();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
  });
});

describe('initTf', () => {
  it('activates the requested backend and says why', async () => {
    for (const choice of ['cpu', 'wasm'] as const) {
      const { tf, backend, detail } = await initTf(choice);
      assert.equal(backend, choice);
      assert.equal(tf.getBackend(), choice);
      assert.ok(detail.length > 0);
    }
  });

  it('auto prefers native TensorFlow, then tempa\'s native addon, and explains each fallback', async () => {
    const { backend, detail } = await initTf('auto');
    const tfjsNode = '^tfjs-node-gpu (not installed|failed to load: .*); tfjs-node (not installed|failed to load: .*)';
    if (backend === 'tensorflow') assert.match(detail, /tfjs-node/);
    else if (backend === 'native') assert.match(detail, new RegExp(`${tfjsNode}; using native`));
    else {
      assert.equal(backend, 'wasm');
      assert.match(detail, new RegExp(`${tfjsNode}; native .*; using wasm`));
    }
  });

  it('fails with STAGE_FAILED and a hint when native TensorFlow is requested but missing', async () => {
    const native = await initTf('tensorflow').then(
      (runtime) => runtime.backend,
      (error: unknown) => error,
    );
    if (native === 'tensorflow') return; // installed on this machine
    assert.ok(native instanceof PipelineError);
    assert.equal(native.code, 'STAGE_FAILED');
    assert.match(native.message, /backend `tensorflow` is unavailable/);
    assert.match(native.hint ?? '', /tfjs-node/);
  });
});
