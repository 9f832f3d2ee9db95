// The LanguageModel handle on every backend: tokenLogProbs equals log-softmax of forward at the targets
// (and at a sampling temperature), its gradient equals the cross-entropy path's, right-padded rows score
// exactly as each row alone (fused kernels included), a scalar head reads the last real token, and
// generate() over prompts of different lengths returns the log-probs and entropies a forward pass
// recomputes and, greedy, each prompt's tokens alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../../../engine/rng.ts';
import { loadNativeAddon } from '../../../../stages/shared/backend/native/addon.ts';
import { initTf, type TF } from '../../../../stages/shared/backend/tf.ts';
import { compositeFallbacks } from '../../../../stages/shared/model/gpt.ts';
import { valuesAtLastToken, type LanguageModel } from '../../../../stages/shared/model/language-model.ts';
import { PAD_ID } from '../../../../stages/shared/tokenizer/special-tokens.ts';
import { tempDir } from '../../../helpers/temp-dir.ts';
import { tinyLanguageModel, tinyTokenizer } from '../../../helpers/tiny-model.ts';
import { maxAbsDiff, TINY } from '../model/tiny.ts';

const native = loadNativeAddon();
const BACKENDS = ['cpu', 'wasm', ...('addon' in native ? (['native'] as const) : [])] as const;
if (!('addon' in native)) console.log(`# native backend not tested here: ${native.error}`);

const ROWS = [
  [0, 30, 41, 52, 63, 74, 85, 96, 107, 118, 129, 140],
  [0, 200, 17, 3],
  [0, 9, 99, 199, 279, 8, 4],
];
const T = 12;

async function tiny(backend: (typeof BACKENDS)[number]): Promise<{ tf: TF; model: LanguageModel }> {
  const { tf } = await initTf(backend);
  const { tokenizer } = await tinyTokenizer(await tempDir('lm-'));
  return { tf, model: tinyLanguageModel(tf, tokenizer, 7) };
}

/** log_softmax(forward / temperature) at every position, in float64 from the logits. */
function referenceLogSoftmax(model: LanguageModel, row: number[], temperature: number): number[][] {
  const { tf } = model;
  const logits = tf.tidy(() => model.forward(tf.tensor2d([row], [1, row.length], 'int32')));
  const data = logits.dataSync();
  logits.dispose();
  const V = model.config.vocabSize;
  return row.map((_, t) => {
    const z = Array.from(data.subarray(t * V, (t + 1) * V), (v) => v / temperature);
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    return z.map((v) => v - lse);
  });
}

/** log p of each next token (0 at t = 0): the reference for tokenLogProbs. */
const referenceLogProbs = (model: LanguageModel, row: number[], temperature: number): number[] => [0, ...referenceLogSoftmax(model, row, temperature).slice(0, -1).map((lp, t) => lp[row[t + 1]!]!)];

/** Entropy (nats) of the next-token distribution at every position. */
const referenceEntropies = (model: LanguageModel, row: number[], temperature: number): number[] => referenceLogSoftmax(model, row, temperature).map((lp) => -lp.reduce((h, v) => h + Math.exp(v) * v, 0));

function padded(tf: TF) {
  const ids = ROWS.map((r) => [...r, ...new Array(T - r.length).fill(PAD_ID)]);
  const mask = ROWS.map((r) => Array.from({ length: T }, (_, t) => (t < r.length ? 1 : 0)));
  return { ids: tf.tensor2d(ids, [ROWS.length, T], 'int32'), mask: tf.tensor2d(mask, [ROWS.length, T], 'float32') };
}

describe('LanguageModel', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: tokenLogProbs of right-padded rows equal log-softmax of forward on each row alone (temperature 1 and 0.7), 0 at pads`, async () => {
      const { tf, model } = await tiny(backend);
      const before = tf.memory().numTensors;
      const { ids, mask } = padded(tf);
      for (const temperature of [1, 0.7]) {
        const result = model.tokenLogProbs(ids, mask, temperature);
        const got = result.arraySync() as number[][];
        result.dispose();
        ROWS.forEach((row, b) => {
          const want = referenceLogProbs(model, row, temperature);
          assert.ok(maxAbsDiff(got[b]!.slice(0, row.length), want) < 1e-4, `row ${b}: ${got[b]!.slice(0, 4)} vs ${want.slice(0, 4)}`);
          assert.ok(got[b]!.slice(row.length).every((v) => v === 0), `row ${b} pads: ${got[b]!.slice(row.length)}`);
        });
      }
      tf.dispose([ids, mask]);
      assert.equal(tf.memory().numTensors, before);
      model.dispose();
    });

    it(`${backend}: the gradient of sum(tokenLogProbs) is -N times the mean cross-entropy's`, async () => {
      const { tf, model } = await tiny(backend);
      const row = ROWS[0]!;
      const ids = tf.tensor2d([row], [1, row.length], 'int32');
      const x = tf.tensor2d([row.slice(0, -1)], [1, row.length - 1], 'int32');
      const y = tf.tensor2d([row.slice(1)], [1, row.length - 1], 'int32');
      const params = model.parameters();
      const names = Object.keys(params);
      const n = row.length - 1;
      const viaLogProbs = tf.variableGrads(() => tf.sum(model.tokenLogProbs(ids)) as never, names.map((k) => params[k]!));
      const viaLoss = tf.variableGrads(() => tf.mul(model.nextTokenLoss(x, y), -n) as never, names.map((k) => params[k]!));
      assert.ok(Math.abs(viaLogProbs.value.dataSync()[0]! - viaLoss.value.dataSync()[0]!) < 1e-3);
      for (const name of names) {
        const [a, b] = [viaLogProbs.grads[params[name]!.name]!.dataSync(), viaLoss.grads[params[name]!.name]!.dataSync()];
        assert.ok(maxAbsDiff(a, b) < 1e-4, `${name}: ${maxAbsDiff(a, b)}`);
      }
      tf.dispose([ids, x, y, viaLogProbs.value, viaLoss.value, ...Object.values(viaLogProbs.grads), ...Object.values(viaLoss.grads)]);
      model.dispose();
    });

    it(`${backend}: a scalar head's values of padded rows equal each row alone, read at the last real token`, async () => {
      const { tf, model } = await tiny(backend);
      model.addHead('score', 1);
      const { ids, mask } = padded(tf);
      const values = model.headValues('score', ids);
      const last = valuesAtLastToken(tf, values, ROWS.map((r) => r.length)).dataSync();
      const all = values.arraySync() as number[][];
      ROWS.forEach((row, b) => {
        const alone = tf.tidy(() => model.headValues('score', tf.tensor2d([row], [1, row.length], 'int32')).dataSync());
        assert.ok(maxAbsDiff(all[b]!.slice(0, row.length), alone) < 1e-5, `row ${b}`);
        assert.ok(Math.abs(last[b]! - alone[row.length - 1]!) < 1e-5);
      });
      tf.dispose([ids, mask, values]);
      model.dispose();
    });
  }

  for (const backend of BACKENDS) {
    it(`${backend}: generate() on prompts of different lengths (one left-padded batch) returns the log-probs and entropies a forward pass recomputes`, async () => {
      const { tf, model } = await tiny(backend);
      const prompts = [[0, 30, 41], [0, 200], [0, 9, 99, 199, 279, 8, 4], [0, 9, 99]];
      const out = model.generate(prompts, { maxTokens: 6, temperature: 0.8, topK: 0, topP: 1, stopTokens: [], logProbs: true }, seededRandom(3));
      let worst = 0;
      prompts.forEach((prompt, b) => {
        const full = [...prompt, ...out.tokens[b]!];
        const recomputed = referenceLogProbs(model, full, 0.8).slice(prompt.length);
        worst = Math.max(worst, maxAbsDiff(out.logProbs![b]!, recomputed));
        const entropies = referenceEntropies(model, full, 0.8).slice(prompt.length - 1, full.length - 1);
        assert.ok(maxAbsDiff(out.entropies![b]!, entropies) < 1e-4, `row ${b} entropies`);
      });
      assert.ok(worst < 1e-4, `log-probs ${worst} apart`);
      model.dispose();
    });

    it(`${backend}: greedy generation of prompts of different lengths together equals each prompt alone`, async () => {
      const { model } = await tiny(backend);
      const prompts = [[0, 30, 41], [0, 200], [0, 9, 99, 199, 279, 8, 4]];
      const options = { maxTokens: 8, temperature: 0, topK: 0, topP: 1, stopTokens: [], logProbs: true };
      const together = model.generate(prompts, options, seededRandom(1));
      prompts.forEach((prompt, b) => {
        const alone = model.generate([prompt], options, seededRandom(1));
        assert.deepEqual(together.tokens[b], alone.tokens[0], `row ${b}`);
        assert.ok(maxAbsDiff(together.logProbs![b]!, alone.logProbs![0]!) < 1e-5, `row ${b} log-probs`);
      });
      model.dispose();
    });
  }

  it('says when a config leaves the fused kernels (rotary on native), and nothing otherwise', { skip: 'addon' in native ? false : native.error }, async () => {
    const { tf } = await initTf('native');
    assert.deepEqual(compositeFallbacks(tf, { ...TINY, positions: 'learned' }), []);
    assert.match(compositeFallbacks(tf, { ...TINY, positions: 'rotary' }).join(), /rotary positions: attention runs on the composite ops/);
    await initTf('wasm');
    assert.deepEqual(compositeFallbacks(tf, { ...TINY, positions: 'rotary' }), []);
  });

  it('valuesAtLastToken refuses lengths that do not fit', async () => {
    const { tf } = await initTf('cpu');
    const values = tf.zeros([2, 4]);
    assert.throws(() => valuesAtLastToken(tf, values, [4, 0]), /lengths \[4,0\] do not fit values \[2,4\]/);
    values.dispose();
  });
});
