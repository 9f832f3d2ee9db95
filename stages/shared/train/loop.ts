// The pre-training loop, readable top to bottom (nanoGPT train.py): config, init or resume, small
// helpers (batches, estimateLoss), then the loop. Also the loop of every later stage that does
// next-token training, which passes its own batches and loss mask.
import { PipelineError } from '../../../engine/errors.ts';
import type { StageContext } from '../../../engine/stage.ts';
import { readTrainingCheckpoint, writeTrainingCheckpoint } from '../model/folder.ts';
import { exportParams, gptLoss, gptLossAndGrads, type GPTConfig, type GPTParams } from '../model/gpt.ts';
import { learningRate } from './lr.ts';
import { adamwStep, clipGradsByGlobalNorm, createAdamW, disposeAdamW, exportOptimizerState, importOptimizerState, type AdamW } from './optim.ts';
import type { TF, Tensor } from '../backend/tf.ts';
import type { Batch } from './token-batches.ts';

export interface TrainConfig {
  steps: number;
  gradAccum: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  gradClip: number;
  evalEvery: number;
  checkpointEvery: number;
  logEvery: number;
}

export interface CurvePoint {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  valLoss?: number;
}

export interface TrainData {
  /** The micro-batch `micro` of optimizer step `step`; must depend only on (step, micro) for exact resume. */
  trainBatch(step: number, micro: number): Batch;
  evalSet: Batch[];
}

export interface TrainResult {
  curve: CurvePoint[];
  initialValLoss: number;
  finalValLoss: number;
  tokensPerSecond: number;
  resumedFrom: number;
}

function toTensors(tf: TF, batch: Batch): { x: Tensor; y: Tensor } {
  return { x: tf.tensor2d(batch.x, [batch.batchSize, batch.blockSize], 'int32'), y: tf.tensor2d(batch.y, [batch.batchSize, batch.blockSize], 'int32') };
}

/** Mean loss over the fixed evaluation batches. */
function estimateLoss(tf: TF, params: GPTParams, config: GPTConfig, evalSet: Batch[]): number {
  let total = 0;
  for (const batch of evalSet) {
    total += tf.tidy(() => {
      const { x, y } = toTensors(tf, batch);
      return gptLoss(tf, params, config, x, y).dataSync()[0]!;
    });
  }
  return total / evalSet.length;
}

/** Loss and gradients averaged over gradAccum micro-batches. The caller disposes the gradients. */
function accumulateGrads(tf: TF, params: GPTParams, config: GPTConfig, data: TrainData, step: number, gradAccum: number) {
  let grads: Record<string, Tensor> = {};
  let loss = 0;
  for (let micro = 0; micro < gradAccum; micro++) {
    const { x, y } = toTensors(tf, data.trainBatch(step, micro));
    const result = gptLossAndGrads(tf, params, config, x, y);
    x.dispose();
    y.dispose();
    loss += result.loss.dataSync()[0]! / gradAccum;
    result.loss.dispose();
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
  return { loss, grads };
}

export async function trainLoop(tf: TF, ctx: StageContext, params: GPTParams, config: GPTConfig, data: TrainData, cfg: TrainConfig): Promise<TrainResult> {
  const adamConfig = { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay };
  const schedule = { lr: cfg.lr, warmupSteps: cfg.warmupSteps, maxSteps: cfg.steps, minLr: cfg.minLr };
  let opt: AdamW;
  let curve: CurvePoint[] = [];
  let startStep = 0;
  let initialValLoss: number;
  const checkpoint = await readTrainingCheckpoint(ctx.checkpointDir);
  if (checkpoint) {
    for (const [name, p] of Object.entries(params)) {
      const saved = checkpoint.weights[name];
      if (!saved) throw new PipelineError('STAGE_FAILED', `checkpoint lacks weight ${name}`, { hint: 'delete the checkpoint folder to restart' });
      tf.tidy(() => p.assign(tf.tensor(Float32Array.from(saved.data), saved.shape, 'float32')));
    }
    opt = importOptimizerState(tf, params, checkpoint.optimizer, adamConfig);
    startStep = checkpoint.state.step;
    curve = checkpoint.state.curve as CurvePoint[];
    initialValLoss = checkpoint.state.initialValLoss as number;
    ctx.log.info(`resuming from the checkpoint at step ${startStep}`);
  } else {
    opt = createAdamW(tf, params, adamConfig);
    initialValLoss = estimateLoss(tf, params, config, data.evalSet);
    ctx.log.info(`step 0 | val loss ${initialValLoss.toFixed(4)}`);
  }

  const tokensPerStep = data.trainBatch(0, 0).x.length * cfg.gradAccum;
  let trainedTokens = 0;
  let trainedMs = 0;
  let valLoss = curve.findLast((p) => p.valLoss !== undefined)?.valLoss ?? initialValLoss;
  try {
    for (let step = startStep; step < cfg.steps; step++) {
      ctx.signal.throwIfAborted();
      const started = performance.now();
      const lr = learningRate(step, schedule);
      const { loss, grads } = accumulateGrads(tf, params, config, data, step, cfg.gradAccum);
      if (!Number.isFinite(loss)) {
        for (const g of Object.values(grads)) g.dispose();
        throw new PipelineError('STAGE_FAILED', `loss is ${loss} at step ${step}`, {
          hint: `training diverged; the last good checkpoint (step ${Math.floor(step / cfg.checkpointEvery) * cfg.checkpointEvery}) is kept. Lower lr or raise warmupSteps`,
        });
      }
      const gradNorm = cfg.gradClip > 0 ? clipGradsByGlobalNorm(tf, grads, cfg.gradClip) : 0;
      adamwStep(tf, opt, params, grads, lr);
      for (const g of Object.values(grads)) g.dispose();
      const ms = performance.now() - started;
      trainedTokens += tokensPerStep;
      trainedMs += ms;
      const point: CurvePoint = { step: step + 1, loss, lr, gradNorm };
      const last = step + 1 === cfg.steps;
      if ((step + 1) % cfg.evalEvery === 0 || last) {
        valLoss = estimateLoss(tf, params, config, data.evalSet);
        point.valLoss = valLoss;
      }
      curve.push(point);
      const tokPerSec = (trainedTokens / trainedMs) * 1000;
      if ((step + 1) % cfg.logEvery === 0 || last || point.valLoss !== undefined) {
        const val = point.valLoss !== undefined ? ` | val ${point.valLoss.toFixed(4)}` : '';
        ctx.log.info(`step ${step + 1}/${cfg.steps} | loss ${loss.toFixed(4)}${val} | lr ${lr.toExponential(1)} | ${ms.toFixed(0)}ms | ${Math.round(tokPerSec)} tok/s`);
      }
      ctx.progress({ step: step + 1, total: cfg.steps, metrics: { loss, valLoss, 'tok/s': Math.round(tokPerSec) } });
      if ((step + 1) % cfg.checkpointEvery === 0 && !last) {
        await writeTrainingCheckpoint(ctx.checkpointDir, {
          weights: exportParams(params),
          optimizer: exportOptimizerState(opt),
          state: { step: step + 1, curve, initialValLoss },
        });
      }
    }
  } finally {
    disposeAdamW(opt);
  }
  return { curve, initialValLoss, finalValLoss: valLoss, tokensPerSecond: trainedMs ? (trainedTokens / trainedMs) * 1000 : 0, resumedFrom: startStep };
}
