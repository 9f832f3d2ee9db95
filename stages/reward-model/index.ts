// `uses: reward-model` — a language model with a scalar head that learns which of two answers a judge
// preferred: Bradley-Terry loss -log sigmoid(r_chosen - r_rejected - margin) plus reward centring (TRL
// RewardTrainer), the reward read at each row's last real token (its <|end|>). After training, rewards are
// normalised to mean 0 and std 1 on the reference policy's answers (the pairs' answers, sampled from it;
// Ziegler et al. 2019) and the normalisation is saved with the model. Departure from TRL: pairs are drawn
// uniformly per step (seeded by step, so resumes are exact) instead of in epochs.
import path from 'node:path';
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { defineStage } from '../../engine/stage.ts';
import type { TF } from '../shared/backend/types.ts';
import { saveModel } from '../shared/model/model-io.ts';
import { valuesAtLastToken, type LanguageModel } from '../shared/model/language-model.ts';
import { openModel } from '../shared/model/open-model.ts';
import { trainAndHeldOutPairs } from '../shared/preference/hold-out.ts';
import type { Pair } from '../shared/preference/read-pairs.ts';
import { rawRewards, REWARD_HEAD } from '../shared/preference/reward-scores.ts';
import { chatSequence, pairBatch, type Sequence, type SequenceBatch } from '../shared/preference/sequences.ts';
import { bradleyTerryLoss } from '../shared/rl/losses.ts';
import { writeCurve } from '../shared/train/curve.ts';
import { trainLoop, type Trainee } from '../shared/train/loop.ts';
import { rewardModelSchema, type RewardModelParams } from './schema.ts';
import { backendInfo } from '../shared/backend/tf.ts';

/** Reward-head init N(0, 1/sqrt(C+1)) (Ziegler et al.; N+ details). */
const headStd = (nEmbd: number) => 1 / Math.sqrt(nEmbd + 1);

interface Encoded {
  chosen: Sequence;
  rejected: Sequence;
  /** Chosen strictly shorter: 1, longer: 0, equal: 0.5 (the "prefer the shorter answer" baseline). */
  shorterChosen: number;
}

export default defineStage({
  name: 'reward-model',
  version: 1,
  description: 'A scalar-head reward model trained on preference pairs (Bradley-Terry), with held-out pairwise accuracy and saved reward normalisation.',
  headline: ['heldOutAccuracy', 'initialHeldOutAccuracy'],
  schema: rewardModelSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'the model to start from (the SFT model); a `score` head is added if it has none' },
    pairs: { kind: 'any', description: 'JSONL preference pairs {prompt, chosen, rejected} (make-preferences pairs)' },
    heldOut: { kind: 'any', optional: true, description: 'held-out pairs for the accuracy; without it a share of prompts is held out' },
  }),
  outputs: () => ({ model: { kind: 'dir' }, curve: { kind: 'file' } }),
  async run(ctx, p) {
    const { tf, backend, modelDir, model } = await openModel(ctx);
    try {
      const { train, heldOut, skipped } = await trainAndHeldOutPairs(ctx, p);
      const encode = (pair: Pair): Encoded => {
        const chosen = chatSequence(model.tokenizer, pair.prompt, pair.chosen, model.config.blockSize);
        const rejected = chatSequence(model.tokenizer, pair.prompt, pair.rejected, model.config.blockSize);
        const [c, r] = [chosen.ids.length, rejected.ids.length];
        return { chosen, rejected, shorterChosen: c < r ? 1 : c > r ? 0 : 0.5 };
      };
      const trainSet = train.map(encode);
      const heldOutSet = heldOut.map(encode);
      ctx.log.info(`pairs: ${trainSet.length} train, ${heldOutSet.length} held out (${skipped} malformed skipped)`);
      if (!model.heads[REWARD_HEAD]) model.addHead(REWARD_HEAD, ctx.seed, headStd(model.config.nEmbd));

      const trainee = pairwiseTrainee(tf, model, trainSet, heldOutSet, p, ctx.seed);
      const result = await trainLoop(tf, ctx, trainee, p);

      // Normalise on the reference policy's answers: every answer of the training pairs.
      const raw = rawRewards(model, trainSet.flatMap((e) => [e.chosen, e.rejected]));
      const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
      const std = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / raw.length) || 1;
      const shorterAccuracy = heldOutSet.reduce((a, e) => a + e.shorterChosen, 0) / heldOutSet.length;
      const accuracy = result.finalEval['eval/accuracy']!;
      ctx.log.info(`held-out pairwise accuracy ${(accuracy * 100).toFixed(1)}% (prefer-the-shorter-answer baseline ${(shorterAccuracy * 100).toFixed(1)}%, chance 50%)`);
      await saveModel(model, path.join(ctx.outDir, 'model'), { step: p.steps, reward: { mean, std } }, modelDir);
      await writeCurve(path.join(ctx.outDir, 'curve.jsonl'), result.curve);
      return {
        metrics: {
          heldOutAccuracy: accuracy,
          initialHeldOutAccuracy: result.initialEval['eval/accuracy']!,
          shorterAccuracy,
          heldOutLoss: result.finalEval['eval/loss']!,
          trainPairs: trainSet.length,
          heldOutPairs: heldOutSet.length,
          rewardMean: mean,
          rewardStd: std,
          skipped: skipped,
          resumedFrom: result.resumedFrom,
        },
        artifacts: { model: 'model', curve: 'curve.jsonl' },
        info: backendInfo(backend),
      };
    } finally {
      model.dispose();
    }
  },
});

/** Rewards (B,) of the chosen and rejected rows of a pair batch. */
function pairRewards(tf: TF, model: LanguageModel, batch: SequenceBatch) {
  const rewards = valuesAtLastToken(tf, model.headValues(REWARD_HEAD, batch.ids), batch.lengths); // (2B,)
  const B = batch.lengths.length / 2;
  return { chosen: tf.slice(rewards, [0], [B]), rejected: tf.slice(rewards, [B], [B]) };
}

function pairwiseTrainee(tf: TF, model: LanguageModel, train: Encoded[], heldOut: Encoded[], p: RewardModelParams, seed: number): Trainee {
  const params = model.parameters();
  const names = Object.keys(params);
  const lossOf = (chosen: ReturnType<typeof pairRewards>['chosen'], rejected: typeof chosen) =>
    bradleyTerryLoss(tf, chosen, rejected, { ...(p.margin > 0 ? { margin: tf.fill(chosen.shape, p.margin) } : {}), centeringCoef: p.centeringCoef });
  return {
    params,
    step(step, micro) {
      const random = seededRandom(deriveSeed(seed, `pairs ${step} ${micro}`));
      const pairs = Array.from({ length: p.batchSize }, () => train[Math.floor(random() * train.length)]!);
      let accuracy = 0;
      let margin = 0;
      const batch = pairBatch(tf, pairs);
      const { value, grads } = tf.variableGrads(() => {
        const { chosen, rejected } = pairRewards(tf, model, batch);
        const diff = Array.from(tf.sub(chosen, rejected).dataSync() as Float32Array);
        accuracy = diff.reduce((a, d) => a + (d > 0 ? 1 : 0), 0) / diff.length;
        margin = diff.reduce((a, d) => a + d, 0) / diff.length;
        return lossOf(chosen, rejected) as never;
      }, names.map((n) => params[n]!));
      const loss = value.dataSync()[0]!;
      tf.dispose([value, batch.ids, batch.answerMask]);
      const tokens = pairs.reduce((a, e) => a + e.chosen.ids.length + e.rejected.ids.length, 0);
      return { loss, grads: Object.fromEntries(names.map((n) => [n, grads[params[n]!.name]!])), tokens, metrics: { accuracy, margin } };
    },
    evaluate() {
      let correct = 0;
      let loss = 0;
      for (let start = 0; start < heldOut.length; start += 64) {
        const pairs = heldOut.slice(start, start + 64);
        tf.tidy(() => {
          const { chosen, rejected } = pairRewards(tf, model, pairBatch(tf, pairs));
          correct += Array.from(tf.sub(chosen, rejected).dataSync() as Float32Array).reduce((a, d) => a + (d > 0 ? 1 : d === 0 ? 0.5 : 0), 0);
          loss += lossOf(chosen, rejected).dataSync()[0]! * pairs.length;
        });
      }
      return { 'eval/accuracy': correct / heldOut.length, 'eval/loss': loss / heldOut.length };
    },
  };
}

