// `uses: grpo` — reasoning fine-tuning with verifiable rewards, as TRL's GRPOTrainer does it: G answers per
// prompt sampled at a temperature, scored by declared reward functions (the task checkers first), the
// advantage of each answer its reward minus its group's mean (scaled by the group's std, the batch's, or
// not at all), and the clipped token-level policy loss with separate low/high clips, several updates per
// rollout against the sampling policy's log-probs, an optional k3 KL to a frozen reference. DAPO's
// dynamic sampling replaces groups whose answers all scored the same. No value model and no reward model:
// the checker is the reward. The rollout in progress and the guard counters are saved in each checkpoint,
// and each rollout's sampling is seeded by its index, so a resumed run continues exactly.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PipelineError } from '../../engine/errors.ts';
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { defineStage } from '../../engine/stage.ts';
import { backendInfo } from '../shared/backend/tf.ts';
import type { Tensor, TF, Variable } from '../shared/backend/types.ts';
import { readChatRows } from '../shared/chat/rows.ts';
import { renderPrompt } from '../shared/chat/template.ts';
import { scorableItems, type ScorableItem } from '../shared/eval/task-accuracy.ts';
import type { LanguageModel } from '../shared/model/language-model.ts';
import { loadModel, saveModel } from '../shared/model/model-io.ts';
import { openModel } from '../shared/model/open-model.ts';
import { sequenceBatch, type Sequence } from '../shared/preference/sequences.ts';
import { buildRewards, type Completion, type RewardFunction } from '../shared/rewards/index.ts';
import { groupAdvantages, zeroSpreadGroups } from '../shared/rl/group-advantages.ts';
import { grpoLoss } from '../shared/rl/grpo-loss.ts';
import { klPerToken } from '../shared/rl/kl.ts';
import { alignedToAnswers } from '../shared/rollout/aligned.ts';
import { sampleRollouts, scoreAnswerTokens } from '../shared/rollout/rollouts.ts';
import { shuffle } from '../shared/tasks/draw.ts';
import { writeCurve } from '../shared/train/curve.ts';
import { trainLoop, type Trainee } from '../shared/train/loop.ts';
import { grpoSchema, type GrpoParams } from './schema.ts';
import { mean } from '../shared/metrics/mean.ts';

/** One sampled answer the updates learn from, as plain numbers (saved in checkpoints). */
export interface GrpoRow {
  sequence: Sequence;
  /**
   * log π_old of each answer token at the sampling temperature. Absent while the policy is still the
   * one that sampled the row: the loss then takes its own forward's values, detached, which makes the
   * ratio exactly 1 (TRL's per_token_logps.detach() at num_iterations 1), and records them here for the
   * rollout's later passes. A rollout whose first pass updates the policy between minibatches has them
   * from a forward pass at collection instead (rowsOf).
   */
  oldLogp?: number[];
  /** The reference's log-probs of the same tokens, when there is a reference. */
  refLogp?: number[];
  advantage: number;
  /** False for a truncated answer under maskTruncated: it stays in the batch but takes no part in the loss. */
  inLoss: boolean;
}

export interface GrpoRollout {
  rows: GrpoRow[];
  /** Curve metrics: deterministic for a seed, so a curve is reproducible bit for bit. */
  metrics: Record<string, number>;
  /** Wall-clock measurements, logged but kept out of the curve. */
  timing: { seconds: number; tokens: number };
}

interface Models {
  policy: LanguageModel;
  reference?: LanguageModel;
}

export default defineStage({
  name: 'grpo',
  version: 1,
  description: 'Reasoning fine-tuning with verifiable rewards: G answers per prompt, group-relative advantages, clipped token-level loss (GRPO, DAPO, Dr. GRPO), TRL metrics and guards.',
  headline: ['reward', 'initial reward'],
  schema: grpoSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'the policy to start from (a warm-started, instruction-tuned model)' },
    prompts: { kind: 'any', description: 'JSONL task rows (make-instructions train): the prompts, and the items the checkers score answers against' },
    reference: { kind: 'dir', optional: true, description: 'the frozen reference for the KL term and metric; default: the `model` input when beta > 0' },
  }),
  outputs: () => ({ model: { kind: 'dir' }, curve: { kind: 'file' } }),
  async run(ctx, p) {
    const { tf, backend, modelDir, model: policy } = await openModel(ctx);
    const referenceDir = ctx.inputs.reference?.path ?? (p.beta > 0 ? ctx.inputs.model!.path : undefined);
    const reference = referenceDir === undefined ? undefined : await loadModel(tf, referenceDir);
    const rewards = await buildRewards(p.rewards, { recipeDir: ctx.recipeDir, signal: ctx.signal });
    try {
      const read = await readChatRows(ctx.inputs.prompts!.files, { onMalformed: p.onMalformed, signal: ctx.signal, displayName: (f) => path.relative(ctx.recipeDir, f) });
      const room = policy.config.blockSize - 1;
      const pool = scorableItems(read.rows, p.prompts).filter(({ prompt }) => prompt.length > 0 && renderPrompt(policy.tokenizer, prompt).length < room);
      if (pool.length === 0) throw noPrompts(read.rows.length);
      const perRollout = p.batchSize * p.generations;
      ctx.log.info(`${pool.length} prompts; ${p.batchSize} prompts x ${p.generations} answers per rollout (${perRollout}), ${p.iterations} pass(es) x ${p.minibatches} minibatch(es); rewards ${rewards.map((r) => `${r.name} x${r.weight}`).join(' + ')}`);
      const timing = { seconds: 0, tokens: 0 };
      const result = await trainLoop(tf, ctx, grpoTrainee(tf, { policy, reference }, pool, rewards, p, ctx.seed, ctx, timing), p);
      await saveModel(policy, path.join(ctx.outDir, 'model'), { step: p.steps }, modelDir);
      await writeCurve(path.join(ctx.outDir, 'curve.jsonl'), result.curve);
      const first = result.curve[0]!;
      const last = result.curve.at(-1)!;
      const keys = ['reward', ...rewards.map((r) => `rewards/${r.name}/mean`), 'frac_reward_zero_std', 'completions/mean_length', 'entropy'];
      const pick = (point: Record<string, number>, prefix: string) => Object.fromEntries(keys.filter((k) => point[k] !== undefined).map((k) => [`${prefix}${k}`, point[k]!]));
      return {
        metrics: { ...pick(last, ''), ...pick(first, 'initial '), resumedFrom: result.resumedFrom, rolloutTokensPerSecond: Math.round(timing.tokens / Math.max(timing.seconds, 1e-9)) },
        artifacts: { model: 'model', curve: 'curve.jsonl' },
        info: backendInfo(backend),
      };
    } finally {
      await Promise.all(rewards.map((r) => r.close?.()));
      policy.dispose();
      reference?.dispose();
    }
  },
});

const std = (xs: readonly number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

/** One prompt's G sampled answers with their rewards. */
interface Group {
  sequences: Sequence[];
  answers: Array<{ length: number; ended: boolean }>;
  /** The sampler's log-probs and entropies of each answer's tokens. */
  logProbs: number[][];
  entropies: number[][];
  /** Weighted sum of the reward functions per answer. */
  totals: number[];
}

/**
 * Samples and scores one rollout: batchSize prompts × G answers; under dynamic sampling, groups with no
 * spread are dropped and more prompts sampled (at most maxRounds rounds). Metrics cover every sampled answer.
 */
export async function collectRollout(models: Models, pool: readonly ScorableItem[], rewards: readonly RewardFunction[], p: GrpoParams, seed: number, signal?: AbortSignal): Promise<GrpoRollout> {
  const G = p.generations;
  const started = performance.now();
  const random = seededRandom(seed);
  const order = shuffle(Array.from({ length: pool.length }, (_, i) => i), random);
  const rounds = p.dynamicSampling.enabled ? p.dynamicSampling.maxRounds : 1;
  const kept: Group[] = [];
  const sampled: Group[] = [];
  const perReward = new Map<string, number[]>(rewards.map((r) => [r.name, []]));
  let round = 0;
  let sampledTokens = 0;
  while (round < rounds && kept.length < p.batchSize) {
    const items = Array.from({ length: p.batchSize }, (_, i) => pool[order[(round * p.batchSize + i) % order.length]!]!);
    round += 1;
    const rollouts = sampleRollouts(models.policy, items.map((it) => it.prompt), G, p.sampling, random);
    const completions: Completion[] = rollouts.map((r) => ({
      item: items[r.prompt]!.item,
      prompt: items[r.prompt]!.prompt.at(-1)?.content ?? '',
      response: r.text,
      truncated: !r.ended,
      tokens: r.answer.length,
      maxTokens: p.sampling.maxTokens,
    }));
    // Each built reward checks its own output is one finite number per answer (module-reward, exec-reward).
    const scores = await Promise.all(rewards.map((r) => r.score(completions, signal)));
    const totals = completions.map((_, i) => rewards.reduce((sum, r, f) => sum + r.weight * scores[f]![i]!, 0));
    rewards.forEach((r, f) => perReward.get(r.name)!.push(...scores[f]!));
    sampledTokens += rollouts.reduce((sum, r) => sum + r.answer.length, 0);
    const zero = new Set(zeroSpreadGroups(totals, G));
    for (let g = 0; g < items.length; g++) {
      const slice = rollouts.slice(g * G, (g + 1) * G);
      const group: Group = {
        sequences: slice.map((r) => r.sequence),
        answers: slice.map((r) => ({ length: r.answer.length, ended: r.ended })),
        logProbs: slice.map((r) => r.logProbs),
        entropies: slice.map((r) => r.entropies),
        totals: totals.slice(g * G, (g + 1) * G),
      };
      sampled.push(group);
      if ((!p.dynamicSampling.enabled || !zero.has(g)) && kept.length < p.batchSize) kept.push(group);
    }
  }
  const sampleSeconds = (performance.now() - started) / 1000;
  const rows = await rowsOf(models, kept, p);
  const answers = sampled.flatMap((g) => g.answers);
  const lengths = answers.map((a) => a.length);
  const terminated = answers.filter((a) => a.ended).map((a) => a.length);
  const totals = sampled.flatMap((g) => g.totals);
  const zeroShare = zeroSpreadGroups(totals, G).length / sampled.length;
  const metrics: Record<string, number> = {
    reward: mean(totals),
    reward_std: mean(sampled.map((g) => std(g.totals))),
    ...Object.fromEntries(rewards.flatMap((r) => {
      const values = perReward.get(r.name)!;
      return [[`rewards/${r.name}/mean`, mean(values)], [`rewards/${r.name}/std`, std(values)]];
    })),
    frac_reward_zero_std: zeroShare,
    'completions/mean_length': mean(lengths),
    'completions/min_length': Math.min(...lengths),
    'completions/max_length': Math.max(...lengths),
    'completions/clipped_ratio': (answers.length - terminated.length) / answers.length,
    'completions/mean_terminated_length': mean(terminated),
    'rollout/groups_kept': kept.length,
    'rollout/rounds': round,
  };
  if (rows.entropy !== undefined) metrics.entropy = rows.entropy;
  if (rows.kl !== undefined) metrics.kl = rows.kl;
  return { rows: rows.rows, metrics, timing: { seconds: sampleSeconds, tokens: sampledTokens } };
}

/**
 * The kept groups as training rows: advantages, old log-probs where the first pass needs them, the
 * reference's log-probs, and the entropy and KL metrics. Old log-probs are only computed here when the
 * first pass over the rollout takes several optimizer steps (minibatches > 1): from the second on, the
 * policy is no longer the sampling one, so a forward pass at collection gives the exact values. Otherwise
 * the first update's own forward gives them for free (GrpoRow.oldLogp). The sampler's per-token numbers
 * are equal to that forward's only to float rounding, so they feed the metrics (entropy, and the KL when
 * no forward is run), never the ratio.
 */
async function rowsOf(models: Models, kept: readonly Group[], p: GrpoParams): Promise<{ rows: GrpoRow[]; entropy?: number; kl?: number }> {
  if (kept.length === 0) return { rows: [] };
  const sequences = kept.flatMap((g) => g.sequences);
  const answers = kept.flatMap((g) => g.answers);
  const advantages = groupAdvantages(kept.flatMap((g) => g.totals), p.generations, p.scaleRewards);
  const temperature = p.sampling.temperature;
  const scored = p.minibatches > 1 ? scoreAnswerTokens(models.policy, sequences, temperature).logps : undefined;
  const ref = models.reference ? scoreAnswerTokens(models.reference, sequences, temperature) : undefined;
  const rows = sequences.map((sequence, i): GrpoRow => ({
    sequence,
    ...(scored ? { oldLogp: scored[i]! } : {}),
    ...(ref ? { refLogp: ref.logps[i]! } : {}),
    advantage: advantages[i]!,
    inLoss: !(p.maskTruncated && !answers[i]!.ended),
  }));
  const entropy = mean(kept.flatMap((g) => g.entropies).flat());
  if (!ref) return { rows, entropy };
  const policyLogps = scored ?? kept.flatMap((g) => g.logProbs);
  const kl = mean(policyLogps.flatMap((lp, i) => klPerToken(lp, ref.logps[i]!, 'k3')));
  return { rows, entropy, kl };
}

/** Answer tokens of a row (those the loss may count). */
const answerLength = (row: GrpoRow) => row.sequence.ids.length - row.sequence.promptLength;

/**
 * The GRPO loss of some rows of a rollout and TRL's update metrics. Call inside a tidy (variableGrads is
 * one). Rows without old log-probs are on-policy: their logp's values are the old ones, and are recorded
 * into the rows (GrpoRow.oldLogp).
 */
export function grpoRowsLoss(tf: TF, policy: LanguageModel, rows: readonly GrpoRow[], p: GrpoParams, tokenCount: number | undefined): { loss: Tensor; metrics: Record<string, number> } {
  const sequences = rows.map((r) => r.sequence);
  const batch = sequenceBatch(tf, sequences);
  const T = batch.ids.shape[1]!;
  const mask = tf.mul(batch.answerMask, tf.tensor2d(rows.map((r) => (r.inLoss ? 1 : 0)), [rows.length, 1]));
  const refLogp = rows[0]?.refLogp === undefined ? undefined : alignedToAnswers(tf, sequences, rows.map((r) => r.refLogp!), T);
  const advantages = tf.tensor1d(rows.map((r) => r.advantage));
  const logp = policy.tokenLogProbs(batch.ids, mask, p.sampling.temperature);
  const onPolicy = rows.filter((r) => r.oldLogp === undefined).length;
  if (onPolicy !== 0 && onPolicy !== rows.length) throw new Error(`grpo: ${onPolicy} of ${rows.length} rows have no old log-probs; a batch is either all on-policy or all recorded`);
  let oldLogp: Tensor;
  if (onPolicy > 0) {
    const values = logp.dataSync() as Float32Array; // a copy of the values: no gradient flows through it
    oldLogp = tf.tensor2d(values, [rows.length, T]);
    rows.forEach((r, b) => (r.oldLogp = Array.from(values.subarray(b * T + r.sequence.promptLength, b * T + r.sequence.ids.length))));
  } else {
    oldLogp = alignedToAnswers(tf, sequences, rows.map((r) => r.oldLogp!), T);
  }
  const out = grpoLoss(tf, { logp, oldLogp, advantages, mask, ...(refLogp ? { refLogp } : {}) }, {
    epsLow: p.epsilon,
    epsHigh: p.epsilonHigh ?? p.epsilon,
    beta: p.beta,
    aggregation: p.lossType,
    maxTokens: Math.max(p.sampling.maxTokens, T),
    ...(tokenCount === undefined ? {} : { tokenCount }),
  });
  const metrics: Record<string, number> = {
    'clip_ratio/low_mean': out.clipRatio.low.dataSync()[0]!,
    'clip_ratio/high_mean': out.clipRatio.high.dataSync()[0]!,
    'clip_ratio/region_mean': out.clipRatio.region.dataSync()[0]!,
  };
  if (out.kl) metrics.kl = out.kl.dataSync()[0]!;
  return { loss: out.loss, metrics };
}

/** `timing` gathers the sampling time and tokens of every rollout this process collects. */
function grpoTrainee(tf: TF, models: Models, pool: readonly ScorableItem[], rewards: readonly RewardFunction[], p: GrpoParams, seed: number, ctx: { log: { info(m: string): void }; signal: AbortSignal }, timing: { seconds: number; tokens: number }): Trainee {
  const { policy } = models;
  const params: Record<string, Variable> = policy.parameters();
  const names = Object.keys(params);
  const updatesPerRollout = p.iterations * p.minibatches;
  let rollout: GrpoRollout | undefined;
  let zeroSpreadRun = 0;
  const stop = (message: string, hint: string) => new PipelineError('TRAINING_DIVERGED', `grpo stopped: ${message}`, { hint: `the last good checkpoint is kept. ${hint}` });
  return {
    params,
    logMetrics: ['reward', ...rewards.map((r) => `rewards/${r.name}/mean`), 'frac_reward_zero_std', 'completions/mean_length', 'entropy', 'kl', 'clip_ratio/region_mean'],
    async step(step, micro) {
      const iteration = Math.floor(step / updatesPerRollout);
      const update = step % updatesPerRollout;
      if (update === 0 && micro === 0) {
        rollout = await collectRollout(models, pool, rewards, p, deriveSeed(seed, `rollout ${iteration}`), ctx.signal);
        const m = rollout.metrics;
        zeroSpreadRun = m.frac_reward_zero_std === 1 ? zeroSpreadRun + 1 : 0;
        if (m.entropy !== undefined && m.entropy < p.guards.minEntropy) {
          throw stop(`entropy collapsed: ${m.entropy.toFixed(4)} nats per token, under guards.minEntropy ${p.guards.minEntropy}`, 'lower lr or raise the sampling temperature');
        }
        if (zeroSpreadRun >= p.guards.zeroSpreadRollouts) {
          throw stop(`every group scored the same in ${zeroSpreadRun} rollouts in a row (reward ${m.reward!.toFixed(3)}): nothing left to learn from`, 'the prompts are too easy or too hard for this model: change the tasks or difficulty, or enable dynamicSampling');
        }
        if (m.kl !== undefined && !(m.kl <= p.guards.maxKl)) throw stop(`kl ${m.kl.toFixed(4)} to the reference is above guards.maxKl ${p.guards.maxKl}`, 'lower lr or raise beta');
        timing.seconds += rollout.timing.seconds;
        timing.tokens += rollout.timing.tokens;
        if (iteration % 5 === 0) ctx.log.info(`rollout ${iteration}: reward ${m.reward!.toFixed(3)}, zero-spread groups ${(100 * m.frac_reward_zero_std!).toFixed(0)}%, length ${m['completions/mean_length']!.toFixed(1)}, sampled ${(rollout.timing.tokens / rollout.timing.seconds).toFixed(0)} tokens/s`);
      }
      const current = rollout!;
      const order = shuffle(Array.from({ length: current.rows.length }, (_, i) => i), seededRandom(deriveSeed(seed, `order ${iteration} ${Math.floor(update / p.minibatches)}`)));
      const perMinibatch = Math.ceil(order.length / p.minibatches);
      const minibatch = order.slice((update % p.minibatches) * perMinibatch, (update % p.minibatches + 1) * perMinibatch).map((i) => current.rows[i]!);
      const perMicro = Math.ceil(minibatch.length / p.gradAccum);
      const rows = minibatch.slice(micro * perMicro, (micro + 1) * perMicro);
      if (rows.length === 0 || !rows.some((r) => r.inLoss)) {
        // Nothing to learn from (every group dropped, or every answer masked): a zero step keeps the schedule.
        // Old log-probs of rows out of the loss are never read; zeros keep later passes' batches all recorded.
        for (const r of rows) r.oldLogp ??= new Array<number>(answerLength(r)).fill(0);
        return { loss: 0, grads: Object.fromEntries(names.map((n) => [n, tf.zerosLike(params[n]!)])), tokens: 0, metrics: current.metrics };
      }
      // dapo divides by the answer tokens of the whole optimizer step; the loop averages micro-batches, so it is scaled back.
      const stepTokens = minibatch.reduce((sum, r) => sum + (r.inLoss ? answerLength(r) : 0), 0);
      const tokenCount = p.lossType === 'dapo' ? stepTokens / p.gradAccum : undefined;
      let metrics: Record<string, number> = {};
      const { value: loss, grads } = tf.variableGrads(() => {
        const out = grpoRowsLoss(tf, policy, rows, p, tokenCount);
        metrics = out.metrics;
        return out.loss as never;
      }, names.map((n) => params[n]!));
      const total = loss.dataSync()[0]!;
      loss.dispose();
      if (metrics.kl !== undefined && !(metrics.kl <= p.guards.maxKl)) {
        for (const g of Object.values(grads)) g.dispose();
        throw stop(`kl ${metrics.kl.toFixed(4)} to the reference is above guards.maxKl ${p.guards.maxKl}`, 'lower lr or raise beta');
      }
      return {
        loss: total,
        grads: Object.fromEntries(names.map((n) => [n, grads[params[n]!.name]!])),
        tokens: rows.reduce((sum, r) => sum + answerLength(r), 0),
        metrics: { ...current.metrics, ...metrics },
      };
    },
    saveState: () => ({ rollout, zeroSpreadRun }),
    restoreState(state) {
      rollout = state.rollout as GrpoRollout | undefined;
      zeroSpreadRun = state.zeroSpreadRun as number;
    },
  };
}

function noPrompts(rows: number): PipelineError {
  return new PipelineError('DATA_INVALID', `none of ${rows} prompt rows is a known task whose prompt fits the context with room to answer`, {
    hint: 'bind prompts to make-instructions rows (each has `task`, `instruction` and the reference answer)',
  });
}
