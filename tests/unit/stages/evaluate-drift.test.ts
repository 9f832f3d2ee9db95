// The drift measures of evaluate on a tiny model: the KL to an identical baseline is exactly 0 and to a
// different one is not, the reward score is the reward model's normalised mean, lengths count the answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerDrift } from '../../../stages/evaluate/drift.ts';
import { driftTable, type ModelResult } from '../../../stages/evaluate/report.ts';
import { initTf } from '../../../stages/shared/backend/tf.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { tinyLanguageModel, tinyTokenizer } from '../../helpers/tiny-model.ts';

const SPEC = { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 32 };
const PROMPTS = ['is the cat wet?', 'is a whale a fish?', 'where is the log?'].map((content) => [{ role: 'user' as const, content }]);

describe('evaluate drift', () => {
  it('KL to an identical baseline is 0, to another model it is not; the reward score is normalised', async () => {
    const { tf } = await initTf('cpu');
    const { tokenizer } = await tinyTokenizer(await tempDir('drift-'));
    const model = tinyLanguageModel(tf, tokenizer, 1, SPEC);
    const twin = tinyLanguageModel(tf, tokenizer, 1, SPEC);
    const other = tinyLanguageModel(tf, tokenizer, 2, SPEC);
    const reward = Object.assign(tinyLanguageModel(tf, tokenizer, 3, SPEC), { meta: { stage: 'reward', step: 0, version: 1, reward: { mean: 100, std: 2 } } });
    reward.addHead('score', 4);
    const same = answerDrift(model, PROMPTS, { maxTokens: 6, seed: 9, baseline: twin, rewardModel: reward });
    assert.equal(same.klToBaseline, 0);
    assert.ok(same.answerTokens >= 1 && same.answerTokens <= 6);
    assert.ok(same.rewardScore! < -40, `normalised with mean 100, std 2: ${same.rewardScore}`);
    const differs = answerDrift(model, PROMPTS, { maxTokens: 6, seed: 9, baseline: other });
    assert.notEqual(differs.klToBaseline, 0);
    assert.equal(differs.answerTokens, same.answerTokens); // the same samples: only the baseline changed
    const results = [{ label: 'sft', report: { overall: { correct: 1, total: 2, accuracy: 0.5 } }, drift: { answerTokens: 3, klToBaseline: 0.25 } }] as unknown as ModelResult[];
    assert.deepEqual(driftTable(results).slice(1), ['model  exact match  answer tokens  reward score  KL to baseline', 'sft    50.0%        3.00           -             0.250']);
    for (const m of [model, twin, other, reward]) m.dispose();
  });
});
