// `uses: ppo` — RLHF with PPO as TRL's PPOTrainer and "The N implementation details of RLHF with PPO" do
// it: the policy samples answers at a temperature; the reward model scores each (minus a penalty when it
// never ends); every token pays −klCoef·KL to the frozen reference; GAE over the answer tokens with a
// separate value model (initialised from the reward model); whitened advantages; clipped policy loss and
// clipped value loss, ppoEpochs passes of minibatches per rollout; log-probs at the sampling temperature.
// Declared `rewards` (the task checkers, module or exec functions, as grpo takes them) add to the reward
// model's score, or are the whole reward when no reward model is bound: rule-based rewards beside a learned
// one, as OpenRLHF's reward functions and DeepSeek's RL use them. Departures: the score lands on the last
// answer token (OpenRLHF), not one past it (TRL); approxkl averages over answer tokens only. The rollout in
// progress and the KL coefficient are saved in each checkpoint, so a resumed run continues exactly.
import path from 'node:path';
import { PipelineError } from '../../engine/errors.ts';
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { defineStage } from '../../engine/stage.ts';
import type { Tensor, TF, Variable } from '../shared/backend/types.ts';
import { readChatRows } from '../shared/chat/rows.ts';
import type { ChatTurn } from '../shared/chat/template.ts';
import { renderPrompt } from '../shared/chat/template.ts';
import type { ModelMeta } from '../shared/model/folder.ts';
import type { LanguageModel } from '../shared/model/language-model.ts';
import { loadModel, saveModel } from '../shared/model/model-io.ts';
import { openModel } from '../shared/model/open-model.ts';
import { REWARD_HEAD, rewardScores } from '../shared/preference/reward-scores.ts';
import { scorableItems, type ScorableItem } from '../shared/eval/task-accuracy.ts';
import { buildRewards, type Completion, type RewardFunction } from '../shared/rewards/index.ts';
import { inBatches, sequenceBatch, type Sequence, type SequenceBatch } from '../shared/preference/sequences.ts';
import { gae } from '../shared/rl/gae.ts';
import { updateKlCoef } from '../shared/rl/kl.ts';
import { ppoPolicyLoss, ppoValueLoss } from '../shared/rl/losses.ts';
import { tokenRewards } from '../shared/rl/ppo-rewards.ts';
import { whitenRows } from '../shared/rl/whiten.ts';
import { alignedToAnswers } from '../shared/rollout/aligned.ts';
import { sampleRollouts, scoreAnswerTokens } from '../shared/rollout/rollouts.ts';
import { writeCurve } from '../shared/train/curve.ts';
import { shuffle } from '../shared/tasks/draw.ts';
import { trainLoop, type Trainee } from '../shared/train/loop.ts';
import { ppoSchema, type PpoParams } from './schema.ts';
import { backendInfo } from '../shared/backend/tf.ts';
import { mean } from '../shared/metrics/mean.ts';

/** One sampled answer with everything the updates need, as plain numbers (saved in checkpoints). */
export interface Row {
  sequence: Sequence;
  oldLogp: number[];
  oldValues: number[];
  advantages: number[];
  returns: number[];
}

interface Rollout {
  rows: Row[];
  metrics: Record<string, number>;
}

interface Models {
  policy: LanguageModel;
  reference: LanguageModel;
  value: LanguageModel;
  /** Absent when declared rewards alone score the answers. */
  reward: (LanguageModel & { meta: ModelMeta }) | undefined;
}

/** A rollout prompt, with the task item the declared rewards check its answers against (when there are any). */
type RolloutPrompt = Pick<ScorableItem, 'prompt'> & Partial<Pick<ScorableItem, 'item'>>;

export default defineStage({
  name: 'ppo',
  version: 1,
  description: 'RLHF with PPO against a reward model (and/or declared reward functions): KL-penalised rewards, GAE, clipped policy and value losses, TRL metrics and guards.',
  headline: ['objective/scores', 'objective/kl'],
  schema: ppoSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'the policy to start from (the SFT model); also the frozen reference unless `reference` is bound' },
    rewardModel: { kind: 'dir', optional: true, description: 'a reward-model stage output (scalar `score` head, saved normalisation); optional when `rewards` are declared' },
    prompts: { kind: 'any', description: 'JSONL rows whose conversations (before the last answer) are the rollout prompts; task rows (make-instructions) when `rewards` are declared' },
    reference: { kind: 'dir', optional: true, description: 'the frozen reference; default: the `model` input' },
    value: { kind: 'dir', optional: true, description: 'the value model to start from; default: the reward model, else the policy' },
  }),
  outputs: () => ({ model: { kind: 'dir' }, curve: { kind: 'file' } }),
  async run(ctx, p) {
    if (ctx.inputs.rewardModel === undefined && p.rewards.length === 0) throw noReward();
    const displayName = (f: string) => path.relative(ctx.recipeDir, f);
    const rewards = await buildRewards(p.rewards, { recipeDir: ctx.recipeDir, signal: ctx.signal, displayName, maxTokens: p.sampling.maxTokens });
    const { tf, backend, modelDir, model: policy } = await openModel(ctx);
    const reward = ctx.inputs.rewardModel && (await loadModel(tf, ctx.inputs.rewardModel.path));
    const reference = await loadModel(tf, (ctx.inputs.reference ?? ctx.inputs.model!).path);
    const value = await loadModel(tf, (ctx.inputs.value ?? ctx.inputs.rewardModel ?? ctx.inputs.model!).path);
    try {
      if (reward && !reward.heads[REWARD_HEAD]) throw notARewardModel(ctx.inputs.rewardModel!.path);
      if (!value.heads[REWARD_HEAD]) value.addHead(REWARD_HEAD, ctx.seed, 0);
      const read = await readChatRows(ctx.inputs.prompts!.files, { onMalformed: p.onMalformed, signal: ctx.signal, displayName });
      const fits = (turns: readonly ChatTurn[]) => turns.length > 0 && renderPrompt(policy.tokenizer, turns).length < policy.config.blockSize;
      const pool: RolloutPrompt[] =
        rewards.length > 0
          ? scorableItems(read.rows, p.prompts).filter((it) => fits(it.prompt))
          : read.rows
              .slice(0, p.prompts)
              .map((row) => ({ prompt: row.turns.slice(0, Math.max(0, row.turns.findLastIndex((t) => t.role === 'assistant'))) }))
              .filter((it) => fits(it.prompt));
      if (pool.length === 0) throw noPrompts(read.rows.length, rewards.length > 0);
      const scoredBy = [...(reward ? ['the reward model'] : []), ...rewards.map((r) => `${r.name} x${r.weight}`)].join(' + ');
      ctx.log.info(`${pool.length} prompts; rollouts of ${p.batchSize}, ${p.ppoEpochs} epochs x ${p.minibatches} minibatches per rollout; scored by ${scoredBy}`);
      const models: Models = { policy, reference, value, reward };
      const result = await trainLoop(tf, ctx, ppoTrainee(tf, models, pool, rewards, p, ctx.seed, ctx), p);
      await saveModel(policy, path.join(ctx.outDir, 'model'), { step: p.steps }, modelDir);
      await writeCurve(path.join(ctx.outDir, 'curve.jsonl'), result.curve);
      const last = result.curve.at(-1)!;
      const first = result.curve[0]!;
      const pick = (point: Record<string, number>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, point[k]!]));
      const keys = ['objective/scores', ...rewards.map((r) => `rewards/${r.name}/mean`), 'objective/kl', 'objective/rlhf_reward', 'objective/entropy', 'answer/length', 'val/num_eos_tokens'];
      return {
        metrics: { ...pick(last, keys), ...Object.fromEntries(Object.entries(pick(first, keys)).map(([k, v]) => [`initial ${k}`, v])), resumedFrom: result.resumedFrom },
        artifacts: { model: 'model', curve: 'curve.jsonl' },
        info: backendInfo(backend),
      };
    } finally {
      for (const m of [policy, reward, reference, value]) m?.dispose();
      await Promise.all(rewards.map((r) => r.close?.()));
    }
  },
});

/** The value model's V(s) before each answer token (read where that token is predicted), per row. */
function answerValues(value: LanguageModel, sequences: readonly Sequence[]): number[][] {
  const { tf } = value;
  return inBatches(tf, sequences, (batch, rows) => {
    const values = tf.tidy(() => value.headValues(REWARD_HEAD, batch.ids).arraySync() as number[][]);
    return rows.map((s, b) => values[b]!.slice(s.promptLength - 1, s.ids.length - 1));
  });
}

/** Samples, scores and evaluates one rollout batch: per-token rewards, GAE, whitened advantages, TRL's objective/* metrics. */
async function collectRollout(models: Models, pool: readonly RolloutPrompt[], rewards: readonly RewardFunction[], p: PpoParams, klCoef: number, seed: number, signal: AbortSignal): Promise<Rollout> {
  const random = seededRandom(seed);
  const chosen = Array.from({ length: p.batchSize }, () => pool[Math.floor(random() * pool.length)]!);
  const rollouts = sampleRollouts(models.policy, chosen.map((c) => c.prompt), 1, p.sampling, random).filter((r) => r.answer.length > 0);
  const sequences = rollouts.map((r) => r.sequence);
  // Declared rewards come with a pool of task rows, so every chosen prompt has its item then.
  const completions: Completion[] =
    rewards.length === 0
      ? []
      : rollouts.map((r) => {
          const { prompt, item } = chosen[r.prompt]!;
          return { item: item!, prompt: prompt.at(-1)?.content ?? '', response: r.text, truncated: !r.ended, tokens: r.answer.length, maxTokens: p.sampling.maxTokens };
        });
  const declared = await Promise.all(rewards.map((r) => r.score(completions, signal)));
  const modelScores = models.reward ? rewardScores(models.reward, sequences) : sequences.map(() => 0);
  const scores = modelScores.map((s, i) => {
    const total = rewards.reduce((sum, r, f) => sum + r.weight * declared[f]![i]!, s);
    return rollouts[i]!.ended ? total : total - p.missingEosPenalty;
  });
  const policy = scoreAnswerTokens(models.policy, sequences, p.sampling.temperature);
  const ref = scoreAnswerTokens(models.reference, sequences, p.sampling.temperature);
  const values = answerValues(models.value, sequences);
  const shaped = rollouts.map((_, i) => tokenRewards(scores[i]!, policy.logps[i]!, ref.logps[i]!, klCoef, p.klEstimator));
  const tokenRewardRows = p.whitenRewards ? whitenRows(shaped.map((s) => s.rewards), { shiftMean: false }) : shaped.map((s) => s.rewards);
  const estimates = tokenRewardRows.map((r, i) => gae(r, values[i]!, p.gamma, p.lam));
  const advantages = whitenRows(estimates.map((e) => e.advantages));
  const kl = shaped.map((s) => s.kl.reduce((a, b) => a + b, 0));
  const entropy = policy.entropies.map((e) => e.reduce((a, b) => a + b, 0));
  const nonScore = shaped.map((s) => s.nonScoreReward);
  return {
    rows: rollouts.map((r, i) => ({ sequence: r.sequence, oldLogp: policy.logps[i]!, oldValues: values[i]!, advantages: advantages[i]!, returns: estimates[i]!.returns })),
    metrics: {
      'objective/kl': mean(kl),
      'objective/entropy': mean(entropy),
      'objective/non_score_reward': mean(nonScore),
      'objective/rlhf_reward': mean(scores) + mean(nonScore),
      'objective/scores': mean(scores),
      ...Object.fromEntries(rewards.map((r, f) => [`rewards/${r.name}/mean`, mean(declared[f]!)])),
      'objective/kl_coef': klCoef,
      'val/num_eos_tokens': rollouts.filter((r) => r.ended).length,
      'answer/length': mean(rollouts.map((r) => r.answer.length)),
      'rollout/token_entropy': mean(policy.entropies.flat()),
    },
  };
}

/** (B, T) float32 of per-answer-token numbers placed at the answer positions, 0 elsewhere. */
function aligned(tf: TF, rows: readonly Row[], T: number, pick: (row: Row) => readonly number[]): Tensor {
  return alignedToAnswers(tf, rows.map((r) => r.sequence), rows.map(pick), T);
}

export type RowTensors = Record<'oldLogp' | 'advantages' | 'oldValues' | 'returns', Tensor>;

/** A minibatch's rollout numbers as (B, T) tensors aligned with its padded batch. The caller disposes them. */
export function rowTensors(tf: TF, rows: readonly Row[], T: number): RowTensors {
  return { oldLogp: aligned(tf, rows, T, (r) => r.oldLogp), advantages: aligned(tf, rows, T, (r) => r.advantages), oldValues: aligned(tf, rows, T, (r) => r.oldValues), returns: aligned(tf, rows, T, (r) => r.returns) };
}

/** The clipped policy loss plus vfCoef times the clipped value loss of one minibatch, and TRL's update metrics. */
export function ppoMinibatchLoss(tf: TF, policy: LanguageModel, value: LanguageModel, batch: SequenceBatch, inputs: RowTensors, p: Pick<PpoParams, 'sampling' | 'cliprange' | 'cliprangeValue' | 'vfCoef'>) {
  const [B, T] = batch.ids.shape as [number, number];
  const logp = policy.tokenLogProbs(batch.ids, batch.answerMask, p.sampling.temperature); // (B, T)
  const v = value.headValues(REWARD_HEAD, batch.ids); // (B, T): V after reading position t
  const values = tf.concat([tf.zeros([B, 1]), tf.slice(v, [0, 0], [B, T - 1])], 1); // (B, T): V before predicting token t
  const pg = ppoPolicyLoss(tf, { logp, oldLogp: inputs.oldLogp, advantages: inputs.advantages, mask: batch.answerMask }, p.cliprange);
  const vf = ppoValueLoss(tf, { values, oldValues: inputs.oldValues, returns: inputs.returns, mask: batch.answerMask }, p.cliprangeValue);
  const ratio = tf.div(tf.sum(tf.mul(tf.exp(tf.sub(logp, inputs.oldLogp)), batch.answerMask)), tf.sum(batch.answerMask));
  const metrics = {
    'policy/approxkl': pg.approxkl.dataSync()[0]!,
    'policy/clipfrac': pg.clipfrac.dataSync()[0]!,
    'loss/policy': pg.loss.dataSync()[0]!,
    'loss/value': vf.loss.dataSync()[0]!,
    'val/clipfrac': vf.clipfrac.dataSync()[0]!,
    'val/ratio': ratio.dataSync()[0]!,
  };
  return { loss: tf.add(pg.loss, tf.mul(p.vfCoef, vf.loss)), metrics };
}

function ppoTrainee(tf: TF, models: Models, pool: readonly RolloutPrompt[], rewards: readonly RewardFunction[], p: PpoParams, seed: number, ctx: { log: { info(m: string): void }; signal: AbortSignal }): Trainee {
  const { policy, value } = models;
  const params: Record<string, Variable> = {
    ...policy.parameters(),
    ...Object.fromEntries(Object.entries(value.parameters()).map(([name, v]) => [`value/${name}`, v])),
  };
  const names = Object.keys(params);
  const updatesPerRollout = p.ppoEpochs * p.minibatches;
  let klCoef = p.klCoef;
  let rollout: Rollout | undefined;
  const guard = (failed: boolean, message: string, hint: string) => {
    if (failed) throw new PipelineError('TRAINING_DIVERGED', `ppo stopped: ${message}`, { hint: `the last good checkpoint is kept. ${hint}` });
  };
  return {
    params,
    logMetrics: ['objective/scores', 'objective/kl', 'objective/entropy', 'answer/length', 'policy/approxkl', 'policy/clipfrac', 'loss/value', 'val/ratio'],
    async step(step, micro) {
      const iteration = Math.floor(step / updatesPerRollout);
      const update = step % updatesPerRollout;
      if (update === 0 && micro === 0) {
        rollout = await collectRollout(models, pool, rewards, p, klCoef, deriveSeed(seed, `rollout ${iteration}`), ctx.signal);
        const m = rollout.metrics;
        guard(!(m['objective/kl']! <= p.guards.maxKl), `objective/kl ${m['objective/kl']!.toFixed(3)} is above guards.maxKl ${p.guards.maxKl}`, 'lower lr, raise klCoef, or set klTarget');
        guard(m['rollout/token_entropy']! < p.guards.minEntropy, `entropy collapsed: ${m['rollout/token_entropy']!.toFixed(4)} nats per token, under guards.minEntropy ${p.guards.minEntropy}`, 'lower lr or raise the sampling temperature');
        if (p.klTarget !== undefined) klCoef = updateKlCoef(klCoef, m['objective/kl']!, p.batchSize, { target: p.klTarget, horizon: p.klHorizon });
      }
      const current = rollout!;
      // Minibatch `update % minibatches` of pass `update / minibatches`, rows in a seeded order per pass; micro-batches split it further.
      const order = seededOrder(current.rows.length, deriveSeed(seed, `order ${iteration} ${Math.floor(update / p.minibatches)}`));
      const perMinibatch = Math.ceil(order.length / p.minibatches);
      const minibatch = order.slice((update % p.minibatches) * perMinibatch, (update % p.minibatches + 1) * perMinibatch);
      const perMicro = Math.ceil(minibatch.length / p.gradAccum);
      const rows = minibatch.slice(micro * perMicro, (micro + 1) * perMicro).map((i) => current.rows[i]!);
      const batch = sequenceBatch(tf, rows.map((r) => r.sequence));
      const inputs = rowTensors(tf, rows, batch.ids.shape[1]!);
      let metrics: Record<string, number> = {};
      const { value: loss, grads } = tf.variableGrads(() => {
        const out = ppoMinibatchLoss(tf, policy, value, batch, inputs, p);
        metrics = out.metrics;
        return out.loss as never;
      }, names.map((n) => params[n]!));
      const total = loss.dataSync()[0]!;
      tf.dispose([loss, batch.ids, batch.answerMask, ...Object.values(inputs)]);
      const result = { loss: total, grads: Object.fromEntries(names.map((n) => [n, grads[params[n]!.name]!])), tokens: rows.reduce((a, r) => a + r.oldLogp.length, 0), metrics: { ...current.metrics, ...metrics } };
      if (Math.abs(metrics['val/ratio']! - 1) > p.guards.maxRatioDeviation || !Number.isFinite(metrics['val/ratio']!)) {
        for (const g of Object.values(result.grads)) g.dispose();
        guard(true, `val/ratio ${metrics['val/ratio']} is further than guards.maxRatioDeviation ${p.guards.maxRatioDeviation} from 1`, 'lower lr, or use fewer ppoEpochs');
      }
      if (update === 0 && micro === 0 && iteration % 5 === 0) ctx.log.info(`rollout ${iteration}: score ${current.metrics['objective/scores']!.toFixed(3)}, kl ${current.metrics['objective/kl']!.toFixed(3)}, length ${current.metrics['answer/length']!.toFixed(1)}`);
      return result;
    },
    saveState: () => ({ klCoef, rollout }),
    restoreState(state) {
      klCoef = state.klCoef as number;
      rollout = state.rollout as Rollout | undefined;
    },
  };
}

function seededOrder(n: number, seed: number): number[] {
  return shuffle(Array.from({ length: n }, (_, i) => i), seededRandom(seed));
}

function notARewardModel(dir: string): PipelineError {
  return new PipelineError('DATA_INVALID', `${dir} has no \`${REWARD_HEAD}\` head`, { hint: 'bind rewardModel to a reward-model stage output' });
}

function noPrompts(rows: number, tasks: boolean): PipelineError {
  if (tasks) {
    return new PipelineError('DATA_INVALID', `none of ${rows} prompt rows is a known task whose prompt fits the context with room to answer, as the declared rewards need`, {
      hint: 'bind prompts to make-instructions rows (each has `task`, `instruction` and the reference answer)',
    });
  }
  return new PipelineError('DATA_INVALID', `none of ${rows} prompt rows has a conversation that fits the context with room to answer`, { hint: 'bind prompts to instruction rows (make-instructions train)' });
}

function noReward(): PipelineError {
  return new PipelineError('RECIPE_INVALID', 'ppo has nothing to score its answers: no `rewardModel` input and no `rewards`', {
    field: 'rewards',
    hint: 'bind rewardModel to a reward-model stage output, or declare rewards such as [{ type: correct }]',
  });
}
