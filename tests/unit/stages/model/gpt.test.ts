// The GPT's contract: config resolution and presets, HF parameter names and GPT-2 init, output shapes,
// same seed -> same model, KV-cache decoding equal to the full forward pass at every position, and a
// left-padded batch of prompts of different lengths decoding each row as it decodes alone.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PipelineError } from '../../../../engine/errors.ts';
import { MODEL_PRESET_NAMES as PRESET_NAMES, MODEL_PRESETS } from '../../../../schemas/model.schema.ts';
import { resolveModelConfig, type GPTConfig } from '../../../../stages/shared/model/config.ts';
import { countParams, createKVCache, disposeKVCache, exportParams, forward, forwardStep, gptLoss, importParams, initGPT, lossFromLogits, paramShapes, retainKVCacheRows } from '../../../../stages/shared/model/gpt.ts';
import { initTf, type TF } from '../../../../stages/shared/backend/tf.ts';
import { checkPaddedDecode } from './padded-decode.ts';
import { batchTensors, maxAbsDiff, TINY } from './tiny.ts';

let tf: TF;
before(async () => {
  ({ tf } = await initTf('cpu'));
});

describe('resolveModelConfig', () => {
  it('has a preset for every name the recipe schema allows, with sizes ordered nano < micro < tiny < small', () => {
    assert.deepEqual(Object.keys(MODEL_PRESETS).sort(), [...PRESET_NAMES].sort());
    const count = (name: keyof typeof MODEL_PRESETS) =>
      Object.values(paramShapes(resolveModelConfig(name, 256))).reduce((t, s) => t + s.reduce((a, b) => a * b, 1), 0);
    const counts = PRESET_NAMES.map(count);
    assert.ok(counts[0]! >= 0.1e6 && counts[0]! <= 0.3e6, `nano has ${counts[0]} params`);
    assert.ok(Math.abs(counts[3]! - 5e6) < 0.5e6, `small has ${counts[3]} params`);
    for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! > counts[i - 1]!);
  });

  it('fills defaults, applies overrides on a preset, and takes the vocabulary from the tokenizer', () => {
    assert.deepEqual(resolveModelConfig('nano', 300), { ...MODEL_PRESETS.nano, vocabSize: 300, tieWeights: true, positions: 'learned' });
    const c = resolveModelConfig({ preset: 'tiny', nLayer: 2, vocabSize: 512, positions: 'rotary' }, 500);
    assert.equal(c.nLayer, 2);
    assert.equal(c.nEmbd, MODEL_PRESETS.tiny.nEmbd);
    assert.equal(c.vocabSize, 512);
    assert.equal(c.positions, 'rotary');
  });

  it('rejects impossible sizes with RECIPE_INVALID and a hint', () => {
    const cases: Array<[Parameters<typeof resolveModelConfig>[0], RegExp]> = [
      [{ nEmbd: 100, nHead: 3 }, /not divisible/],
      [{ nLayer: 0 }, /positive integer/],
      [{ vocabSize: 10 }, /smaller than the tokenizer/],
      [{ nEmbd: 12, nHead: 4, positions: 'rotary' }, /even head size/],
      ['huge' as never, /unknown model preset/],
    ];
    for (const [spec, message] of cases) {
      assert.throws(
        () => resolveModelConfig(spec, 32),
        (error: unknown) => error instanceof PipelineError && error.code === 'RECIPE_INVALID' && message.test(error.message) && !!error.hint,
      );
    }
  });
});

describe('parameters', () => {
  it('are named as HF GPT-2 with (in, out) linear layouts; the head exists only when untied', () => {
    const shapes = paramShapes(TINY);
    assert.deepEqual(shapes['wte.weight'], [32, 16]);
    assert.deepEqual(shapes['wpe.weight'], [8, 16]);
    assert.deepEqual(shapes['h.0.attn.c_attn.weight'], [16, 48]);
    assert.deepEqual(shapes['h.0.mlp.c_proj.weight'], [64, 16]);
    assert.equal(shapes['lm_head.weight'], undefined);
    assert.deepEqual(paramShapes({ ...TINY, tieWeights: false })['lm_head.weight'], [32, 16]);
    assert.equal(paramShapes({ ...TINY, positions: 'rotary' })['wpe.weight'], undefined);
  });

  it('start at GPT-2 init: std 0.02, residual projections 0.02/sqrt(2L), zero biases, unit norms', () => {
    const config: GPTConfig = { ...TINY, nLayer: 2, nEmbd: 64, nHead: 4, vocabSize: 256 };
    const params = initGPT(tf, config, 1);
    const std = (name: string) => {
      const v = Array.from(params[name]!.dataSync());
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    };
    assert.ok(Math.abs(std('wte.weight') - 0.02) < 0.001);
    assert.ok(Math.abs(std('h.1.mlp.c_fc.weight') - 0.02) < 0.001);
    assert.ok(Math.abs(std('h.1.attn.c_proj.weight') - 0.02 / Math.sqrt(4)) < 0.0006);
    assert.ok(Math.abs(std('h.0.mlp.c_proj.weight') - 0.02 / Math.sqrt(4)) < 0.0006);
    assert.deepEqual(Array.from(params['h.0.attn.c_attn.bias']!.dataSync()), new Array(192).fill(0));
    assert.deepEqual(Array.from(params['ln_f.weight']!.dataSync()), new Array(64).fill(1));
    assert.equal(countParams(params), Object.values(paramShapes(config)).reduce((t, s) => t + s.reduce((a, b) => a * b, 1), 0));
    tf.dispose(Object.values(params));
  });

  it('are identical for the same seed and differ for another', () => {
    const a = initGPT(tf, TINY, 5);
    const b = initGPT(tf, TINY, 5);
    const c = initGPT(tf, TINY, 6);
    for (const name of Object.keys(a)) assert.deepEqual(a[name]!.dataSync(), b[name]!.dataSync(), name);
    assert.notDeepEqual(a['wte.weight']!.dataSync(), c['wte.weight']!.dataSync());
    const { idx, targets } = batchTensors(tf);
    const lossA = gptLoss(tf, a, TINY, idx, targets).dataSync()[0];
    const lossB = gptLoss(tf, b, TINY, idx, targets).dataSync()[0];
    assert.equal(lossA, lossB);
    tf.dispose([idx, targets, ...Object.values(a), ...Object.values(b), ...Object.values(c)]);
  });

  it('round-trip through plain arrays (the safetensors form) and give the same logits', () => {
    const params = initGPT(tf, TINY, 3);
    const saved = exportParams(params);
    assert.deepEqual(Object.keys(saved), Object.keys(paramShapes(TINY)));
    const loaded = importParams(tf, TINY, saved);
    const { idx } = batchTensors(tf);
    assert.equal(maxAbsDiff(forward(tf, loaded, TINY, idx).dataSync(), forward(tf, params, TINY, idx).dataSync()), 0);
    assert.throws(() => importParams(tf, { ...TINY, nEmbd: 32 }, saved), /wte.weight has shape \[32,16\], config needs \[32,32\]/);
  });
});

describe('forward', () => {
  it('maps (B, T) int32 ids to (B, T, V) logits for any T <= blockSize, and refuses longer inputs', () => {
    const params = initGPT(tf, TINY, 1);
    for (const [B, T] of [
      [1, 1],
      [3, 5],
      [2, 8],
    ] as const) {
      const idx = tf.zeros([B, T], 'int32');
      const logits = forward(tf, params, TINY, idx);
      assert.deepEqual(logits.shape, [B, T, TINY.vocabSize]);
      tf.dispose([idx, logits]);
    }
    const tooLong = tf.zeros([1, 9], 'int32');
    assert.throws(() => forward(tf, params, TINY, tooLong), /exceeds blockSize 8/);
    const floats = tf.zeros([1, 4]);
    assert.throws(() => forward(tf, params, TINY, floats), /must be int32/);
  });

  it('is causal: changing a later token leaves earlier logits unchanged', () => {
    const params = initGPT(tf, TINY, 1);
    const a = forward(tf, params, TINY, tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32')).arraySync() as number[][][];
    const b = forward(tf, params, TINY, tf.tensor2d([[1, 2, 3, 9, 5]], [1, 5], 'int32')).arraySync() as number[][][];
    for (let t = 0; t < 3; t++) assert.ok(maxAbsDiff(a[0]![t]!, b[0]![t]!) < 1e-6, `position ${t}`);
    assert.ok(maxAbsDiff(a[0]![3]!, b[0]![3]!) > 1e-4);
  });
});

describe('loss', () => {
  it('is the mean cross-entropy over positions where mask is 1 and the target is >= 0', () => {
    const logits = tf.tensor3d([[[2, 0, -1], [0.5, 0.5, 0], [1, 2, 3]]]);
    const targets = tf.tensor2d([[0, 2, -1]], [1, 3], 'int32');
    const nll = (row: number[], t: number) => Math.log(row.reduce((a, x) => a + Math.exp(x), 0)) - row[t]!;
    const expected = (nll([2, 0, -1], 0) + nll([0.5, 0.5, 0], 2)) / 2;
    assert.ok(Math.abs(lossFromLogits(tf, logits, targets).dataSync()[0]! - expected) < 1e-6);
    const mask = tf.tensor2d([[0, 1, 1]]);
    assert.ok(Math.abs(lossFromLogits(tf, logits, targets, mask).dataSync()[0]! - nll([0.5, 0.5, 0], 2)) < 1e-6);
    assert.equal(lossFromLogits(tf, logits, targets, tf.zeros([1, 3])).dataSync()[0], 0);
  });

  it('stays finite for extreme logits', () => {
    const logits = tf.tensor3d([[[1000, -1000, 0]]]);
    const loss = lossFromLogits(tf, logits, tf.tensor2d([[1]], [1, 1], 'int32')).dataSync()[0]!;
    assert.ok(Math.abs(loss - 2000) < 1e-2, String(loss));
  });
});

describe('KV-cache decoding', () => {
  for (const variant of [
    { name: 'learned positions, tied', config: TINY },
    { name: 'rotary positions, untied', config: { ...TINY, nLayer: 2, positions: 'rotary', tieWeights: false } as GPTConfig },
  ]) {
    it(`equals the full forward logits at every position (${variant.name})`, () => {
      const { config } = variant;
      const params = initGPT(tf, config, 9);
      const { idx } = batchTensors(tf);
      const full = forward(tf, params, config, idx).arraySync() as number[][][];
      const rows = idx.arraySync() as number[][];
      const before = tf.memory().numTensors;
      // One token at a time, then a prefill of 5 followed by single tokens.
      for (const chunks of [[1, 1, 1, 1, 1, 1, 1, 1], [5, 1, 1, 1]]) {
        const cache = createKVCache(config, 2);
        let start = 0;
        for (const length of chunks) {
          const step = tf.tensor2d(
            rows.map((r) => r.slice(start, start + length)),
            [2, length],
            'int32',
          );
          const logits = forwardStep(tf, params, config, step, cache);
          assert.deepEqual(logits.shape, [2, config.vocabSize]);
          const got = logits.arraySync() as number[][];
          const position = start + length - 1;
          for (let b = 0; b < 2; b++) assert.ok(maxAbsDiff(got[b]!, full[b]![position]!) < 1e-5, `row ${b} position ${position}`);
          tf.dispose([step, logits]);
          start += length;
        }
        assert.equal(cache.length, 8);
        const extra = tf.zeros([2, 1], 'int32');
        assert.throws(() => forwardStep(tf, params, config, extra, cache), /exceeds blockSize/);
        extra.dispose();
        disposeKVCache(cache);
      }
      assert.equal(tf.memory().numTensors, before, 'decoding leaves no tensors behind');
    });

    it(`a left-padded batch decodes each row as alone, rows can leave it, and padding gets no attention (${variant.name})`, () => {
      const config = { ...variant.config, blockSize: 16 };
      const params = initGPT(tf, config, 4);
      checkPaddedDecode(tf, params, config, 1e-5);
      tf.dispose(Object.values(params));
    });
  }

  it('refuses row starts that do not fit the batch, and rows to keep that are not in it', () => {
    assert.throws(() => createKVCache(TINY, 2, [0]), /batch 2 got row starts \[0\]/);
    assert.throws(() => createKVCache(TINY, 2, [0, -1]), /row starts/);
    const cache = createKVCache(TINY, 3, [0, 2, 1]);
    assert.throws(() => retainKVCacheRows(tf, TINY, cache, [2, 1]), /cannot keep rows \[2,1\] of a KV cache of batch 3/);
    assert.throws(() => retainKVCacheRows(tf, TINY, cache, [3]), /cannot keep rows/);
  });

  it('counts a padded row\'s positions from its first token when checking blockSize', () => {
    const params = initGPT(tf, TINY, 2);
    const cache = createKVCache(TINY, 2, [3, 0]);
    const prompt = tf.tensor2d([[0, 0, 0, 5, 6], [1, 2, 3, 4, 5]], [2, 5], 'int32');
    forwardStep(tf, params, TINY, prompt, cache).dispose();
    retainKVCacheRows(tf, TINY, cache, [0]); // the unpadded row leaves: the 3 padding columns go too
    assert.equal(cache.length, 2);
    assert.equal(cache.starts, undefined);
    const more = tf.tensor2d([[7, 8, 9, 10, 11, 12]], [1, 6], 'int32');
    forwardStep(tf, params, TINY, more, cache).dispose(); // 2 + 6 = 8 positions: fits
    const extra = tf.tensor2d([[1]], [1, 1], 'int32');
    assert.throws(() => forwardStep(tf, params, TINY, extra, cache), /sequence of 9 positions exceeds blockSize 8/);
    disposeKVCache(cache);
    tf.dispose([prompt, more, extra, ...Object.values(params)]);
  });
});
