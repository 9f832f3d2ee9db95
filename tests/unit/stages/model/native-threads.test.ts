// The native backend with its work split three ways (TEMPA_THREADS=3, set before the addon loads): the
// parts of matrix products, attention slices, norm and bias-gradient sums must add up exactly as on
// one or two threads, whatever the machine's core count. Skipped where the addon did not build.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAYER_NORM_KERNEL } from '../../../../stages/shared/backend/contracts.ts';
import { loadNativeAddon } from '../../../../stages/shared/backend/native/addon.ts';
import { initTf } from '../../../../stages/shared/backend/tf.ts';
import { assertSameLossAndGrads, checkLayerNormKernel, lossAndGrads, THREADED } from './backend-compare.ts';
import { relativeError } from './tiny.ts';

process.env.TEMPA_THREADS = '3';
const loaded = loadNativeAddon();
const skip = 'error' in loaded ? `native addon unavailable: ${loaded.error}` : false;

describe('native backend on three threads', { skip }, () => {
  it('splits work three ways and gives the cpu loss and gradients', async () => {
    const { detail } = await initTf('native');
    assert.match(detail, /, 3 threads$/);
    for (const batch of [[2, 131], [3, 64]] as Array<[number, number]>) {
      assertSameLossAndGrads(await lossAndGrads('native', THREADED, batch), await lossAndGrads('cpu', THREADED, batch), `batch ${batch}: `);
    }
  });

  it('LayerNorm and column sums add their three parts correctly', async () => {
    const { tf } = await initTf('native');
    checkLayerNormKernel(tf, LAYER_NORM_KERNEL);
    const x = Float32Array.from({ length: 1001 * 300 }, (_, i) => Math.sin(i));
    const sums = tf.tidy(() => tf.sum(tf.tensor2d(x, [1001, 300]), 0).dataSync() as Float32Array);
    const want = new Float64Array(300);
    x.forEach((v, i) => (want[i % 300] = want[i % 300]! + v));
    assert.ok(relativeError(sums, want) < 1e-6, `column sums: relative error ${relativeError(sums, want)}`);
  });
});
