// `uses: dpo` — Direct Preference Optimization (Rafailov et al. 2023) as TRL's DPOTrainer computes it: the
// policy's and a frozen reference's log-probs of each chosen and rejected answer (summed over answer tokens;
// averaged for IPO), the loss of `lossType` on their log-ratios, and optionally the NLL of the chosen answer
// (RPO). The reference's log-probs are computed once, before the first step, and cached in the checkpoint
// folder, so no reference model is kept in memory (TRL precompute_ref_log_probs). Metrics use TRL's names.
// Departure from TRL: pairs are drawn uniformly per step (seeded by step, so resumes are exact), not in epochs.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { defineStage } from '../../engine/stage.ts';
import type { TF } from '../shared/backend/types.ts';
import type { LanguageModel } from '../shared/model/language-model.ts';
import { loadModel, saveModel } from '../shared/model/model-io.ts';
import { openModel } from '../shared/model/open-model.ts';
import { trainAndHeldOutPairs } from '../shared/preference/hold-out.ts';
import type { Pair } from '../shared/preference/read-pairs.ts';
import { answerLogProbs, chatSequence, inBatches, pairBatch, type Sequence, type SequenceBatch } from '../shared/preference/sequences.ts';
import { dpoLoss } from '../shared/rl/losses.ts';
import { writeCurve } from '../shared/train/curve.ts';
import { trainLoop, type Trainee } from '../shared/train/loop.ts';
import { dpoSchema, type DpoParams } from './schema.ts';
import { backendInfo } from '../shared/backend/tf.ts';
import { mean } from '../shared/metrics/mean.ts';

export interface Encoded {
  chosen: Sequence;
  rejected: Sequence;
  /** The reference's log-probs of each answer (sum, or mean for IPO). */
  refChosen: number;
  refRejected: number;
}

export default defineStage({
  name: 'dpo',
  version: 1,
  description: 'Direct Preference Optimization (sigmoid, IPO or robust; optional NLL term) against a frozen reference, with TRL metrics.',
  headline: ['heldOutRewardAccuracy', 'heldOutMargin'],
  schema: dpoSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'the policy to start from (the SFT model)' },
    pairs: { kind: 'any', description: 'JSONL preference pairs {prompt, chosen, rejected} (make-preferences pairs)' },
    reference: { kind: 'dir', optional: true, description: 'the frozen reference; default: the `model` input itself' },
    heldOut: { kind: 'any', optional: true, description: 'held-out pairs for the reward accuracy; without it a share of prompts is held out' },
  }),
  outputs: () => ({ model: { kind: 'dir' }, curve: { kind: 'file' } }),
  async run(ctx, p) {
    const { tf, backend, modelDir, model } = await openModel(ctx);
    try {
      const { train, heldOut, skipped } = await trainAndHeldOutPairs(ctx, p);
      const average = p.lossType === 'ipo';
      const cache = path.join(ctx.checkpointDir, 'reference-logps.json');
      const refLogps = await cachedReferenceLogps(cache, async () => {
        const reference = ctx.inputs.reference ? await loadModel(tf, ctx.inputs.reference.path) : model;
        try {
          return referenceLogps(reference, [...train, ...heldOut], average);
        } finally {
          if (reference !== model) reference.dispose();
        }
      });
      const encode = (pair: Pair, i: number): Encoded => ({
        chosen: chatSequence(model.tokenizer, pair.prompt, pair.chosen, model.config.blockSize),
        rejected: chatSequence(model.tokenizer, pair.prompt, pair.rejected, model.config.blockSize),
        refChosen: refLogps[2 * i]!,
        refRejected: refLogps[2 * i + 1]!,
      });
      const trainSet = train.map((pair, i) => encode(pair, i));
      const heldOutSet = heldOut.map((pair, i) => encode(pair, train.length + i));
      const meanLength = (key: 'chosen' | 'rejected') => trainSet.reduce((a, e) => a + e[key].ids.length - e[key].promptLength, 0) / trainSet.length;
      ctx.log.info(`pairs: ${trainSet.length} train, ${heldOutSet.length} held out; answer tokens chosen ${meanLength('chosen').toFixed(1)}, rejected ${meanLength('rejected').toFixed(1)}`);

      const result = await trainLoop(tf, ctx, dpoTrainee(tf, model, trainSet, heldOutSet, p, ctx.seed), p);
      await saveModel(model, path.join(ctx.outDir, 'model'), { step: p.steps }, modelDir);
      await writeCurve(path.join(ctx.outDir, 'curve.jsonl'), result.curve);
      const last = result.curve.at(-1)!;
      return {
        metrics: {
          heldOutRewardAccuracy: result.finalEval['eval/rewards/accuracies']!,
          heldOutMargin: result.finalEval['eval/rewards/margins']!,
          'rewards/chosen': last['rewards/chosen']!,
          'rewards/rejected': last['rewards/rejected']!,
          'rewards/margins': last['rewards/margins']!,
          chosenLength: meanLength('chosen'),
          rejectedLength: meanLength('rejected'),
          trainPairs: trainSet.length,
          heldOutPairs: heldOutSet.length,
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

/** The reference's log-probs [chosen, rejected] of every pair, computed once per run and kept across resumes. */
async function cachedReferenceLogps(file: string, compute: () => Promise<number[]>): Promise<number[]> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as number[];
  const logps = await compute();
  await writeFile(file, JSON.stringify(logps));
  return logps;
}

function referenceLogps(reference: LanguageModel, pairs: readonly Pair[], average: boolean): number[] {
  const { tf } = reference;
  const sequences = pairs.flatMap((pair) => [pair.chosen, pair.rejected].map((answer) => chatSequence(reference.tokenizer, pair.prompt, answer, reference.config.blockSize)));
  return inBatches(tf, sequences, (batch) => tf.tidy(() => Array.from(answerLogProbs(reference, batch, average).dataSync())));
}

/** Policy log-probs of a batch of pairs (one padded batch of 2B rows), the DPO loss and TRL's metrics. */
export function dpoBatch(tf: TF, model: LanguageModel, pairs: readonly Encoded[], batch: SequenceBatch, p: Pick<DpoParams, 'lossType' | 'beta' | 'labelSmoothing' | 'nllCoef'>) {
  const B = pairs.length;
  const sums = tf.sum(model.tokenLogProbs(batch.ids, batch.answerMask), 1); // (2B,)
  const counts = tf.maximum(tf.sum(batch.answerMask, 1), 1); // (2B,) answer tokens
  const logps = p.lossType === 'ipo' ? tf.div(sums, counts) : sums;
  const policyChosen = tf.slice(logps, [0], [B]);
  const policyRejected = tf.slice(logps, [B], [B]);
  const refChosen = tf.tensor1d(pairs.map((e) => e.refChosen));
  const refRejected = tf.tensor1d(pairs.map((e) => e.refRejected));
  const { loss, chosenRewards, rejectedRewards } = dpoLoss(tf, { policyChosen, policyRejected, refChosen, refRejected }, { beta: p.beta, lossType: p.lossType, labelSmoothing: p.labelSmoothing });
  // RPO: the mean NLL per chosen-answer token (TRL's "sft" loss term).
  const nll = tf.neg(tf.div(tf.sum(tf.slice(sums, [0], [B])), tf.sum(tf.slice(counts, [0], [B]))));
  const total = p.nllCoef > 0 ? tf.add(loss, tf.mul(p.nllCoef, nll)) : loss;
  const [c, r] = [chosenRewards.dataSync(), rejectedRewards.dataSync()];
  const metrics = {
    nll: nll.dataSync()[0]!,
    'rewards/chosen': mean(c),
    'rewards/rejected': mean(r),
    'rewards/accuracies': mean(Array.from(c, (v, i) => (v > r[i]! ? 1 : 0))),
    'rewards/margins': mean(Array.from(c, (v, i) => v - r[i]!)),
    'logps/chosen': mean(policyChosen.dataSync()),
    'logps/rejected': mean(policyRejected.dataSync()),
  };
  return { loss: total, metrics };
}

function dpoTrainee(tf: TF, model: LanguageModel, train: Encoded[], heldOut: Encoded[], p: DpoParams, seed: number): Trainee {
  const params = model.parameters();
  const names = Object.keys(params);
  return {
    params,
    step(step, micro) {
      const random = seededRandom(deriveSeed(seed, `pairs ${step} ${micro}`));
      const pairs = Array.from({ length: p.batchSize }, () => train[Math.floor(random() * train.length)]!);
      let metrics: Record<string, number> = {};
      const batch = pairBatch(tf, pairs);
      const { value, grads } = tf.variableGrads(() => {
        const out = dpoBatch(tf, model, pairs, batch, p);
        metrics = out.metrics;
        return out.loss as never;
      }, names.map((n) => params[n]!));
      const loss = value.dataSync()[0]!;
      tf.dispose([value, batch.ids, batch.answerMask]);
      const tokens = pairs.reduce((a, e) => a + e.chosen.ids.length + e.rejected.ids.length, 0);
      return { loss, grads: Object.fromEntries(names.map((n) => [n, grads[params[n]!.name]!])), tokens, metrics };
    },
    evaluate() {
      const sums: Record<string, number> = {};
      for (let start = 0; start < heldOut.length; start += 64) {
        const pairs = heldOut.slice(start, start + 64);
        tf.tidy(() => {
          const { loss, metrics } = dpoBatch(tf, model, pairs, pairBatch(tf, pairs), p);
          for (const [k, v] of Object.entries({ loss: loss.dataSync()[0]!, ...metrics })) sums[`eval/${k}`] = (sums[`eval/${k}`] ?? 0) + v * pairs.length;
        });
      }
      return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / heldOut.length]));
    },
  };
}

