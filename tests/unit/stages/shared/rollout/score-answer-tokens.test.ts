// scoreAnswerTokens against float64 log-softmax of each row's own forward pass: rows with prompts and
// answers of different lengths in one batch (the softmax starts at the shortest prompt), small batches,
// an empty answer, and no tensor left behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initTf } from '../../../../../stages/shared/backend/tf.ts';
import type { LanguageModel } from '../../../../../stages/shared/model/language-model.ts';
import type { Sequence } from '../../../../../stages/shared/preference/sequences.ts';
import { scoreAnswerTokens } from '../../../../../stages/shared/rollout/rollouts.ts';
import { tempDir } from '../../../../helpers/temp-dir.ts';
import { tinyLanguageModel, tinyTokenizer } from '../../../../helpers/tiny-model.ts';

const SEQUENCES: Sequence[] = [
  { ids: [0, 30, 41, 52, 63, 74, 85, 96], promptLength: 5 },
  { ids: [0, 200, 17, 3, 9], promptLength: 2 },
  { ids: [0, 9, 99, 199, 279, 8, 4, 11, 12, 13], promptLength: 7 },
  { ids: [0, 5, 6], promptLength: 3 }, // no answer
];
const TEMPERATURE = 0.7;

/** Per answer token: log p and entropy of softmax(logits / temperature), in float64 from the row alone. */
function reference(model: LanguageModel, s: Sequence): { logps: number[]; entropies: number[] } {
  const { tf } = model;
  const logits = tf.tidy(() => model.forward(tf.tensor2d([s.ids], [1, s.ids.length], 'int32')));
  const data = logits.dataSync();
  logits.dispose();
  const V = model.config.vocabSize;
  const out = { logps: [] as number[], entropies: [] as number[] };
  for (let t = s.promptLength; t < s.ids.length; t++) {
    const row = Array.from(data.subarray((t - 1) * V, t * V), (x) => x / TEMPERATURE);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    out.logps.push(row[s.ids[t]!]! - lse);
    out.entropies.push(-row.reduce((a, x) => a + Math.exp(x - lse) * (x - lse), 0));
  }
  return out;
}

describe('scoreAnswerTokens', () => {
  it('equals each row scored alone, in one batch and in batches of two', async () => {
    const { tf } = await initTf('cpu');
    const { tokenizer } = await tinyTokenizer(await tempDir('score-'));
    const model = tinyLanguageModel(tf, tokenizer, 7);
    const before = tf.memory().numTensors;
    for (const batchSize of [64, 2]) {
      const got = scoreAnswerTokens(model, SEQUENCES, TEMPERATURE, batchSize);
      SEQUENCES.forEach((s, i) => {
        const want = reference(model, s);
        assert.equal(got.logps[i]!.length, s.ids.length - s.promptLength, `row ${i} has one log-prob per answer token`);
        assert.equal(got.entropies[i]!.length, s.ids.length - s.promptLength);
        got.logps[i]!.forEach((v, t) => assert.ok(Math.abs(v - want.logps[t]!) < 1e-4, `row ${i} token ${t}: log p ${v} vs ${want.logps[t]}`));
        got.entropies[i]!.forEach((v, t) => assert.ok(Math.abs(v - want.entropies[t]!) < 1e-4, `row ${i} token ${t}: entropy ${v} vs ${want.entropies[t]}`));
      });
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
    model.dispose();
  });

  it('scores a batch whose answers are all empty as empty rows', async () => {
    const { tf } = await initTf('cpu');
    const { tokenizer } = await tinyTokenizer(await tempDir('score-'));
    const model = tinyLanguageModel(tf, tokenizer, 7);
    assert.deepEqual(scoreAnswerTokens(model, [{ ids: [0, 5, 6], promptLength: 3 }], TEMPERATURE), { logps: [[]], entropies: [[]] });
    model.dispose();
  });
});
