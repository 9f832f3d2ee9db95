// `node --import tsx bench/preference.ts [--backend auto|native|wasm|cpu] [--steps N] [--ppo-steps N] [--profile]`:
// DPO pairs/s and PPO rollout + update time of the `micro` GPT on tempa, beside TRL's DPOTrainer and TRL's
// PPO written out in torch (trl 1.x ships no PPOTrainer) on the same weights and data when TEMPA_PYTHON has them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from '../engine/rng.ts';
import { dpoBatch, type Encoded } from '../stages/dpo/index.ts';
import { ppoMinibatchLoss, rowTensors, type Row } from '../stages/ppo/index.ts';
import { BACKEND_CHOICES, initTf, type BackendChoice, type Tensor, type TF, type Variable } from '../stages/shared/backend/tf.ts';
import type { LanguageModel } from '../stages/shared/model/language-model.ts';
import { loadModel } from '../stages/shared/model/model-io.ts';
import { REWARD_HEAD, rewardScores } from '../stages/shared/preference/reward-scores.ts';
import { answerLogProbs, pairBatch, sequenceBatch, type Sequence } from '../stages/shared/preference/sequences.ts';
import { gae } from '../stages/shared/rl/gae.ts';
import { tokenRewards } from '../stages/shared/rl/ppo-rewards.ts';
import { whitenRows } from '../stages/shared/rl/whiten.ts';
import { scoreAnswerTokens } from '../stages/shared/rollout/rollouts.ts';
import { createAdamW, type AdamW } from '../stages/shared/train/optim.ts';
import { optimizerStep } from './optimizer-step.ts';
import { buildSetup, checkIds, MODEL_PRESET, pairSequences, writeReference, type BenchSetup } from './preference-setup.ts';
import { printKernelProfile } from './profile.ts';
import { medianAfterWarmup, printTable } from './timing.ts';
import { OMP_WAIT_POLICY, pythonModule, runTorchFile, torchAvailable, TORCH_THREADS } from './torch.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);
const REFERENCE = fileURLToPath(new URL('./preference_reference.py', import.meta.url));
const BATCH = 16; // DPO pairs per step
const WARMUP = 2;
const LR = 5e-5;
const MAX_NORM = 1.0;
/** TRL PPOConfig's defaults where tempa's ppo stage has them too: 64 prompts, 16 new tokens at 0.7, 4 epochs of 1 minibatch. */
const PPO = { newTokens: 16, temperature: 0.7, epochs: 4, klCoef: 0.05, gamma: 1, lam: 0.95, cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1, prompts: 64 };

const update = (tf: TF, opt: AdamW, params: Record<string, Variable>, loss: () => Tensor) => optimizerStep(tf, opt, params, loss, { lr: LR, maxNorm: MAX_NORM });

/** tempa's DPO step on `BATCH` pairs after `precompute_ref_log_probs`; returns a step function over step index. */
function dpoStepper(tf: TF, policy: LanguageModel, setup: BenchSetup): (step: number) => void {
  const encoded: Encoded[] = [];
  for (let start = 0; start < setup.pairs.length; start += 64) {
    const part = setup.pairs.slice(start, start + 64).map(pairSequences);
    const batch = sequenceBatch(tf, [...part.map((p) => p.chosen), ...part.map((p) => p.rejected)]);
    const logps = answerLogProbs(policy, batch).dataSync();
    part.forEach((p, i) => encoded.push({ ...p, refChosen: logps[i]!, refRejected: logps[part.length + i]! }));
    tf.dispose([batch.ids, batch.answerMask]);
  }
  const params = policy.parameters();
  const opt = createAdamW(tf, params);
  const p = { lossType: 'sigmoid', beta: 0.1, labelSmoothing: 0, nllCoef: 0 } as const;
  return (step) => {
    const pairs = encoded.slice((step * BATCH) % encoded.length).slice(0, BATCH);
    const batch = pairBatch(tf, pairs);
    update(tf, opt, params, () => dpoBatch(tf, policy, pairs, batch, p).loss);
    tf.dispose([batch.ids, batch.answerMask]);
  };
}

interface PpoModels {
  policy: LanguageModel;
  reference: LanguageModel;
  value: LanguageModel;
  reward: Awaited<ReturnType<typeof loadModel>>;
}

/** One PPO rollout as the ppo stage collects it: sample, score, log-probs of policy and reference, values, GAE. */
function rollout(models: PpoModels, prompts: number[][], random: () => number): Row[] {
  const { policy, reference, value, reward } = models;
  const { tf } = policy;
  // No stop tokens: every answer is exactly newTokens long, as on the PyTorch side.
  const out = policy.generate(prompts, { maxTokens: PPO.newTokens, temperature: PPO.temperature, topK: 0, topP: 1, stopTokens: [] }, random, 64);
  const sequences: Sequence[] = prompts.map((ids, i) => ({ ids: [...ids, ...out.tokens[i]!], promptLength: ids.length }));
  const scores = rewardScores(reward, sequences);
  const logp = scoreAnswerTokens(policy, sequences, PPO.temperature).logps;
  const refLogp = scoreAnswerTokens(reference, sequences, PPO.temperature).logps;
  const batch = sequenceBatch(tf, sequences);
  const v = value.headValues(REWARD_HEAD, batch.ids);
  const rows = v.arraySync() as number[][];
  tf.dispose([v, batch.ids, batch.answerMask]);
  const values = sequences.map((s, b) => rows[b]!.slice(s.promptLength - 1, s.ids.length - 1));
  const rewards = sequences.map((_, i) => tokenRewards(scores[i]!, logp[i]!, refLogp[i]!, PPO.klCoef, 'k1').rewards);
  const estimates = rewards.map((r, i) => gae(r, values[i]!, PPO.gamma, PPO.lam));
  const advantages = whitenRows(estimates.map((e) => e.advantages));
  return sequences.map((sequence, i) => ({ sequence, oldLogp: logp[i]!, oldValues: values[i]!, advantages: advantages[i]!, returns: estimates[i]!.returns }));
}

/** PPO epochs of one minibatch (the whole rollout) over policy and value together. */
function ppoUpdate(tf: TF, models: PpoModels, opt: AdamW, params: Record<string, Variable>, rows: Row[]): void {
  const batch = sequenceBatch(tf, rows.map((r) => r.sequence));
  const inputs = rowTensors(tf, rows, batch.ids.shape[1]!);
  const p = { sampling: { maxTokens: PPO.newTokens, temperature: PPO.temperature, topK: 0, topP: 1 }, cliprange: PPO.cliprange, cliprangeValue: PPO.cliprangeValue, vfCoef: PPO.vfCoef };
  for (let epoch = 0; epoch < PPO.epochs; epoch++) update(tf, opt, params, () => ppoMinibatchLoss(tf, models.policy, models.value, batch, inputs, p).loss);
  tf.dispose([batch.ids, batch.answerMask, ...Object.values(inputs)]);
}

const medianMs = (timed: number, fn: (i: number) => void) => medianAfterWarmup(WARMUP, timed, fn);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, steps: { type: 'string', default: '12' }, 'ppo-steps': { type: 'string', default: '5' }, profile: { type: 'boolean', default: false } } });
  const choice = values.backend as BackendChoice;
  if (!BACKEND_CHOICES.includes(choice)) throw new Error(`--backend must be one of ${BACKEND_CHOICES.join('|')}`);
  const [steps, ppoSteps] = [Number(values.steps), Number(values['ppo-steps'])];
  const { tf, backend, detail } = await initTf(choice);
  const torch = torchAvailable();
  const transformers = torch.ok ? pythonModule('transformers') : torch;
  const trl = transformers.ok ? pythonModule('trl') : transformers;
  const trlPpo = trl.ok && pythonModule('trl.experimental.ppo').ok;
  write('tempa preference benchmark: DPO step and PPO rollout + update, tempa beside TRL / PyTorch');
  write(`node:    ${process.version}, cpu ${os.cpus()[0]?.model ?? 'unknown'} x ${os.cpus().length}`);
  write(`backend: ${backend} — ${detail}`);
  const unset = process.env.TEMPA_PYTHON ? '' : 'TEMPA_PYTHON not set, tried python3: ';
  write(`python:  ${transformers.ok ? `${torch.reason}, ${transformers.reason}, ${trl.ok ? trl.reason : `no trl (${trl.reason}): no DPO comparison`}, ${TORCH_THREADS} threads, OMP_WAIT_POLICY=${OMP_WAIT_POLICY}` : `${unset}unavailable (${transformers.reason}); tempa's numbers only (set TEMPA_PYTHON to a Python with torch, transformers and trl)`}`);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'tempa-bench-pref-'));
  try {
    const setup = await buildSetup(tf, dir, BATCH * (WARMUP + steps), PPO.prompts);
    const policy = await loadModel(tf, setup.policyDir);
    await writeReference(dir, policy, checkIds(setup), { batch: BATCH, lr: LR, pairs: setup.pairs, ppo: { ...PPO, prompts: setup.ppoPrompts } });
    write(`model:   ${MODEL_PRESET} preset, random init, vocab ${policy.config.vocabSize} (BPE on Moby-Dick), ${countParams(policy)} parameters, tied embeddings`);

    const dpoStep = dpoStepper(tf, policy, setup);
    const dpoMs = await medianMs(steps, dpoStep);
    if (values.profile) await printKernelProfile(tf, write, `one DPO step (${BATCH} pairs)`, () => dpoStep(0));

    const models: PpoModels = { policy, reference: await loadModel(tf, setup.policyDir), value: await loadModel(tf, setup.rewardDir), reward: await loadModel(tf, setup.rewardDir) };
    const params = { ...policy.parameters(), ...Object.fromEntries(Object.entries(models.value.parameters()).map(([n, v]) => [`value/${n}`, v])) };
    const opt = createAdamW(tf, params);
    const random = seededRandom(7);
    let rows: Row[] = [];
    const rolloutMs = await medianMs(ppoSteps, () => (rows = rollout(models, setup.ppoPrompts, random)));
    const updateMs = await medianMs(ppoSteps, () => ppoUpdate(tf, models, opt, params, rows));
    if (values.profile) {
      await printKernelProfile(tf, write, `one PPO rollout (${PPO.prompts} prompts x ${PPO.newTokens} tokens)`, () => rollout(models, setup.ppoPrompts, random));
      await printKernelProfile(tf, write, `one PPO update (${PPO.epochs} epochs)`, () => ppoUpdate(tf, models, opt, params, rows));
    }
    for (const m of Object.values(models)) m.dispose();

    const dpoRef = trl.ok ? runTorchFile<{ pairsPerSec: number; msPerStep: number; logitsMaxDiff: number; version: string }>(REFERENCE, [dir, 'dpo', String(steps), String(WARMUP), String(TORCH_THREADS)]) : undefined;
    const ppoRef = transformers.ok ? runTorchFile<{ rolloutMs: number; updateMs: number; logitsMaxDiff: number; version: string }>(REFERENCE, [dir, 'ppo', String(ppoSteps), String(WARMUP), String(TORCH_THREADS)]) : undefined;
    const answerTokens = PPO.prompts * PPO.newTokens;
    const ratio = (ours: number, theirs: number | undefined) => (theirs === undefined ? '-' : `${(ours / theirs).toFixed(2)}x`);
    const rowsOut = [
      [`DPO step, ${BATCH} pairs (pairs/s)`, (BATCH / (dpoMs / 1000)).toFixed(1), dpoRef ? dpoRef.pairsPerSec.toFixed(1) : '-', ratio(BATCH / dpoMs, dpoRef && BATCH / dpoRef.msPerStep), dpoRef ? 'TRL DPOTrainer' : `no TRL: ${trl.reason}`],
      [`PPO rollout, ${PPO.prompts}x${PPO.newTokens} tokens (tok/s)`, (answerTokens / (rolloutMs / 1000)).toFixed(0), ppoRef ? (answerTokens / (ppoRef.rolloutMs / 1000)).toFixed(0) : '-', ratio(1 / rolloutMs, ppoRef && 1 / ppoRef.rolloutMs), ppoRef ? 'PyTorch eager, TRL-equivalent' : transformers.reason],
      [`PPO update, ${PPO.epochs} epochs (rows/s)`, ((PPO.prompts * PPO.epochs) / (updateMs / 1000)).toFixed(1), ppoRef ? ((PPO.prompts * PPO.epochs) / (ppoRef.updateMs / 1000)).toFixed(1) : '-', ratio(1 / updateMs, ppoRef && 1 / ppoRef.updateMs), ppoRef ? 'PyTorch eager, TRL-equivalent' : transformers.reason],
      ['PPO rollout + update (ms)', (rolloutMs + updateMs).toFixed(0), ppoRef ? (ppoRef.rolloutMs + ppoRef.updateMs).toFixed(0) : '-', ratio(1 / (rolloutMs + updateMs), ppoRef && 1 / (ppoRef.rolloutMs + ppoRef.updateMs)), ''],
    ];
    printTable(write, `median of ${steps} DPO steps / ${ppoSteps} PPO iterations after ${WARMUP} warm-up, backend ${backend}; ratio = tempa / reference, above 1 is tempa faster`, ['work', 'tempa', 'reference', 'ratio', 'reference is'], rowsOut);
    write(`tempa: DPO ${dpoMs.toFixed(0)} ms/step, rollout ${rolloutMs.toFixed(0)} ms, update ${updateMs.toFixed(0)} ms`);
    if (dpoRef) write(`TRL DPOTrainer (${dpoRef.version}, ${TORCH_THREADS} threads, fp32, no gradient checkpointing, precompute_ref_log_probs): ${dpoRef.msPerStep.toFixed(0)} ms/step; logits max |diff| vs tempa ${dpoRef.logitsMaxDiff.toExponential(1)}`);
    if (ppoRef) {
      write(`PyTorch PPO (${ppoRef.version}, ${TORCH_THREADS} threads): trl ${trl.ok ? trl.reason.split(' ')[1] : '-'} has no PPOTrainer${trlPpo ? ' (trl.experimental.ppo imports, but is not used here)' : ' and trl.experimental.ppo is not importable'}, so TRL's rollout and update are written out in torch (HF generate, left padding).`);
      write(`  rollout ${ppoRef.rolloutMs.toFixed(0)} ms, update ${ppoRef.updateMs.toFixed(0)} ms; logits max |diff| vs tempa ${ppoRef.logitsMaxDiff.toExponential(1)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const countParams = (model: LanguageModel) => Object.values(model.parameters()).reduce((n, p) => n + p.size, 0);

await main();
