// THE training loop (nanoGPT train.py, once), readable top to bottom: resume or start, then per step the
// injected loss and gradients, NaN guard, clipping, AdamW at the scheduled rate, evaluation, curve, log,
// progress and checkpoint. What differs per stage is one function, `step(i, micro) -> { loss, grads }`
// (next-token for pretrain and SFT; pairwise for a reward model; DPO; PPO; GRPO), plus an optional
// `evaluate()` and extra checkpoint state (rollout RNG, KL coefficient, counters).
import { PipelineError } from '../../../engine/errors.ts';
import type { StageContext } from '../../../engine/stage.ts';
import type { trainingProperties } from '../../../schemas/training.schema.ts';
import type { Tensor, TF, Variable } from '../backend/tf.ts';
import { exportParams } from '../model/gpt.ts';
import { readTrainingCheckpoint, writeTrainingCheckpoint } from './checkpoint.ts';
import { learningRate } from './lr.ts';
import { adamwStep, clipGradsByGlobalNorm, createAdamW, disposeAdamW, exportOptimizerState, importOptimizerState, type AdamW } from './optim.ts';

/** The loop's knobs, as every training stage's schema declares them (all numbers; Ajv fills the defaults). */
export type TrainConfig = Record<Exclude<keyof ReturnType<typeof trainingProperties>, 'batchSize' | 'evalBatches'>, number>;

/** What one micro-batch contributes. The loop disposes `grads`. */
export interface StepResult {
  loss: number;
  grads: Record<string, Tensor>;
  /** Tokens the step trained on, for tokens/s. */
  tokens?: number;
  /** Stage metrics for this step (averaged over micro-batches), logged and kept in the curve. */
  metrics?: Record<string, number>;
}

export interface Trainee {
  /** What the optimiser updates, by name; frozen models are simply not here. */
  params: Record<string, Variable>;
  /** Loss and gradients of micro-batch `micro` of optimizer step `step`. */
  step(step: number, micro: number): StepResult | Promise<StepResult>;
  /** Held-out metrics (e.g. valLoss): before training, every evalEvery steps and at the end. */
  evaluate?(): Record<string, number> | Promise<Record<string, number>>;
  /** The step metrics shown in the log line (all of them go to the curve); default: all. */
  logMetrics?: readonly string[];
  /** Extra state saved with each checkpoint and handed back on resume. */
  saveState?(): Record<string, unknown>;
  restoreState?(state: Record<string, unknown>): void;
}

export type CurvePoint = { step: number; loss: number; lr: number; gradNorm: number } & Record<string, number>;

export interface TrainResult {
  curve: CurvePoint[];
  /** evaluate() before the first step, and after the last. */
  initialEval: Record<string, number>;
  finalEval: Record<string, number>;
  tokensPerSecond: number;
  resumedFrom: number;
}

/** Loss, gradients (summed then scaled to the mean) and metrics over gradAccum micro-batches. */
async function accumulate(tf: TF, trainee: Trainee, step: number, gradAccum: number) {
  const grads: Record<string, Tensor> = {};
  const metrics: Record<string, number> = {};
  let loss = 0;
  let tokens = 0;
  for (let micro = 0; micro < gradAccum; micro++) {
    const result = await trainee.step(step, micro);
    loss += result.loss / gradAccum;
    tokens += result.tokens ?? 0;
    for (const [name, value] of Object.entries(result.metrics ?? {})) metrics[name] = (metrics[name] ?? 0) + value / gradAccum;
    for (const [name, g] of Object.entries(result.grads)) {
      const scaled = gradAccum === 1 ? g : tf.tidy(() => tf.mul(g, 1 / gradAccum));
      if (gradAccum !== 1) g.dispose();
      const previous = grads[name];
      grads[name] = previous ? tf.tidy(() => tf.add(previous, scaled)) : scaled;
      if (previous) {
        previous.dispose();
        scaled.dispose();
      }
    }
  }
  return { loss, grads, metrics, tokens };
}

const evalText = (metrics: Record<string, number>) => Object.entries(metrics).map(([k, v]) => ` | ${k === 'valLoss' ? 'val' : k} ${v.toFixed(4)}`).join('');

export async function trainLoop(tf: TF, ctx: StageContext, trainee: Trainee, cfg: TrainConfig): Promise<TrainResult> {
  const { params } = trainee;
  const adamConfig = { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay };
  const schedule = { lr: cfg.lr, warmupSteps: cfg.warmupSteps, maxSteps: cfg.steps, minLr: cfg.minLr };
  const evaluate = async () => (trainee.evaluate ? await trainee.evaluate() : {});
  let opt: AdamW;
  let curve: CurvePoint[] = [];
  let startStep = 0;
  let initialEval: Record<string, number>;
  const checkpoint = await readTrainingCheckpoint(ctx.checkpointDir);
  if (checkpoint) {
    for (const [name, p] of Object.entries(params)) {
      const saved = checkpoint.weights[name];
      if (!saved) throw new PipelineError('STAGE_FAILED', `checkpoint lacks weight ${name}`, { hint: 'delete the checkpoint folder (tempa gc --checkpoints) to restart' });
      tf.tidy(() => p.assign(tf.tensor(Float32Array.from(saved.data), saved.shape, 'float32')));
    }
    opt = importOptimizerState(tf, params, checkpoint.optimizer, adamConfig);
    startStep = checkpoint.state.step;
    curve = checkpoint.state.curve as CurvePoint[];
    initialEval = checkpoint.state.initialEval as Record<string, number>;
    trainee.restoreState?.((checkpoint.state.extra ?? {}) as Record<string, unknown>);
    ctx.log.info(`resuming from the checkpoint at step ${startStep}`);
  } else {
    opt = createAdamW(tf, params, adamConfig);
    initialEval = await evaluate();
    if (Object.keys(initialEval).length) ctx.log.info(`step 0${evalText(initialEval)}`);
  }

  let trainedTokens = 0;
  let trainedMs = 0;
  let lastEval = { ...initialEval };
  for (const point of curve) for (const key of Object.keys(initialEval)) if (point[key] !== undefined) lastEval[key] = point[key];
  try {
    for (let step = startStep; step < cfg.steps; step++) {
      ctx.signal.throwIfAborted();
      const started = performance.now();
      const lr = learningRate(step, schedule);
      const { loss, grads, metrics, tokens } = await accumulate(tf, trainee, step, cfg.gradAccum);
      if (!Number.isFinite(loss)) {
        for (const g of Object.values(grads)) g.dispose();
        const kept = Math.floor(step / cfg.checkpointEvery) * cfg.checkpointEvery;
        throw new PipelineError('TRAINING_DIVERGED', `loss is ${loss} at step ${step}`, {
          hint: `the last good checkpoint (step ${kept}) is kept. Lower lr or raise warmupSteps, then rerun`,
        });
      }
      const gradNorm = cfg.gradClip > 0 ? clipGradsByGlobalNorm(tf, grads, cfg.gradClip) : 0;
      adamwStep(tf, opt, params, grads, lr);
      for (const g of Object.values(grads)) g.dispose();
      const ms = performance.now() - started;
      trainedTokens += tokens;
      trainedMs += ms;
      const point: CurvePoint = { step: step + 1, loss, lr, gradNorm, ...metrics };
      const last = step + 1 === cfg.steps;
      const evaluated = (step + 1) % cfg.evalEvery === 0 || last;
      if (evaluated) {
        lastEval = await evaluate();
        Object.assign(point, lastEval);
      }
      curve.push(point);
      const tokPerSec = trainedMs ? (trainedTokens / trainedMs) * 1000 : 0;
      if ((step + 1) % cfg.logEvery === 0 || last || (evaluated && trainee.evaluate)) {
        const shown = trainee.logMetrics ? Object.entries(metrics).filter(([k]) => trainee.logMetrics!.includes(k)) : Object.entries(metrics);
        const extra = shown.map(([k, v]) => ` | ${k} ${Number(v.toPrecision(4))}`).join('');
        ctx.log.info(`step ${step + 1}/${cfg.steps} | loss ${loss.toFixed(4)}${evaluated ? evalText(lastEval) : ''}${extra} | lr ${lr.toExponential(1)} | ${ms.toFixed(0)}ms${tokens ? ` | ${Math.round(tokPerSec)} tok/s` : ''}`);
      }
      ctx.progress({ step: step + 1, total: cfg.steps, metrics: { loss, ...lastEval, ...(tokens ? { 'tok/s': Math.round(tokPerSec) } : {}) } });
      if ((step + 1) % cfg.checkpointEvery === 0 && !last) {
        await writeTrainingCheckpoint(ctx.checkpointDir, {
          weights: exportParams(params),
          optimizer: exportOptimizerState(opt),
          state: { step: step + 1, curve, initialEval, extra: trainee.saveState?.() ?? {} },
        });
      }
    }
  } finally {
    disposeAdamW(opt);
  }
  return { curve, initialEval, finalEval: lastEval, tokensPerSecond: trainedMs ? (trainedTokens / trainedMs) * 1000 : 0, resumedFrom: startStep };
}
