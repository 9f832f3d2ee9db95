// `node --import tsx bench/grpo.ts [--backend auto|native|wasm|cpu] [--rollouts N] [--steps N] [--profile]`:
// rollout generation tokens/s (8 prompts x 8 answers, KV cache, stop at <|end|>) and one GRPO step of the
// `micro` GPT on tempa, beside PyTorch generating and TRL's GRPOTrainer on the same weights, prompts and reward (in turns).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from '../engine/rng.ts';
import { collectRollout, grpoRowsLoss, type GrpoRollout } from '../stages/grpo/index.ts';
import type { GrpoParams } from '../stages/grpo/schema.ts';
import { BACKEND_CHOICES, initTf, type BackendChoice } from '../stages/shared/backend/tf.ts';
import type { ChatTurn } from '../stages/shared/chat/template.ts';
import type { ScorableItem } from '../stages/shared/eval/task-accuracy.ts';
import type { LanguageModel } from '../stages/shared/model/language-model.ts';
import { buildRewards } from '../stages/shared/rewards/index.ts';
import { sampleRollouts, type Rollout } from '../stages/shared/rollout/rollouts.ts';
import { createAdamW } from '../stages/shared/train/optim.ts';
import { buildGrpoSetup, END_SCALE, grpoParams, promptRecords, rewardProbes, TASK } from './grpo-setup.ts';
import { optimizerStep } from './optimizer-step.ts';
import { MODEL_PRESET, writeReference } from './preference-setup.ts';
import { printKernelProfile } from './profile.ts';
import { printTable, summarise } from './timing.ts';
import { OMP_WAIT_POLICY, pythonModule, startTorchLockstep, torchAvailable, TORCH_THREADS } from './torch.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);
const REFERENCE = fileURLToPath(new URL('./grpo_reference.py', import.meta.url));
const WARMUP = 2;

interface Sampled {
  tokensPerSec: number;
  tokensPerCpuSec: number;
  meanLength: number;
}
/** Medians in ms of a GRPO step and its two phases. */
interface StepMs {
  stepMs: number;
  generationMs: number;
  updateMs: number;
}
interface RolloutRef {
  varied: { hf: Sampled; loop: Sampled };
  equal: { hf: Sampled; loop: Sampled };
  logitsMaxDiff: number;
  version: string;
}
interface GrpoRef extends StepMs {
  cpu: StepMs;
  meanLength: number;
  logitsMaxDiff: number;
  version: string;
}

const answerTokens = (rollouts: readonly Rollout[]) => rollouts.reduce((n, r) => n + r.answer.length, 0);
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: readonly number[]) => summarise(xs).median;
/** Wall and CPU milliseconds (all of this process's threads): CPU time is what a busy shared machine disturbs least. */
const clocks = () => {
  const { user, system } = process.cpuUsage();
  return { wall: performance.now(), cpu: (user + system) / 1000 };
};
const since = (start: ReturnType<typeof clocks>) => {
  const now = clocks();
  return { wall: now.wall - start.wall, cpu: now.cpu - start.cpu };
};

/**
 * Median tokens/s of `runs` rollouts after WARMUP, counted up to and including each answer's stop token.
 * `between` runs after each of tempa's rollouts: the PyTorch side's turn.
 */
async function timeRollouts(policy: LanguageModel, prompts: readonly ChatTurn[][], G: number, sampling: GrpoParams['sampling'], runs: number, random: () => number, between: () => Promise<void>): Promise<Sampled> {
  const [rates, cpuRates, lengths]: [number[], number[], number[]] = [[], [], []];
  for (let i = 0; i < WARMUP + runs; i++) {
    const start = clocks();
    const rollouts = sampleRollouts(policy, prompts, G, sampling, random);
    const took = since(start);
    await between();
    if (i < WARMUP) continue;
    rates.push(answerTokens(rollouts) / (took.wall / 1000));
    cpuRates.push(answerTokens(rollouts) / (took.cpu / 1000));
    lengths.push(answerTokens(rollouts) / rollouts.length);
  }
  return { tokensPerSec: median(rates), tokensPerCpuSec: median(cpuRates), meanLength: mean(lengths) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, rollouts: { type: 'string', default: '5' }, steps: { type: 'string', default: '5' }, profile: { type: 'boolean', default: false } } });
  const choice = values.backend as BackendChoice;
  if (!BACKEND_CHOICES.includes(choice)) throw new Error(`--backend must be one of ${BACKEND_CHOICES.join('|')}`);
  const [rolloutRuns, steps] = [Number(values.rollouts), Number(values.steps)];
  const { tf, backend, detail } = await initTf(choice);
  const torch = torchAvailable();
  const transformers = torch.ok ? pythonModule('transformers') : torch;
  const trl = transformers.ok ? pythonModule('trl') : transformers;
  write('tempa GRPO benchmark: rollout generation and one GRPO step, tempa beside PyTorch / TRL GRPOTrainer');
  write(`node:    ${process.version}, cpu ${os.cpus()[0]?.model ?? 'unknown'} x ${os.cpus().length}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  write(`backend: ${backend} — ${detail}`);
  const unset = process.env.TEMPA_PYTHON ? '' : 'TEMPA_PYTHON not set, tried python3: ';
  write(`python:  ${transformers.ok ? `${torch.reason}, ${transformers.reason}, ${trl.ok ? trl.reason : `no trl (${trl.reason}): no GRPOTrainer comparison`}, ${TORCH_THREADS} threads, OMP_WAIT_POLICY=${OMP_WAIT_POLICY}` : `${unset}unavailable (${transformers.reason}); tempa's numbers only (set TEMPA_PYTHON to a Python with torch, transformers and trl)`}`);

  const p = grpoParams();
  const G = p.generations;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tempa-bench-grpo-'));
  let policy: LanguageModel | undefined;
  try {
    const setup = await buildGrpoSetup(tf, dir, p.batchSize);
    policy = setup.policy;
    const prompts = setup.items.map((it) => it.prompt);
    write(`model:   ${MODEL_PRESET} preset, random init with <|end|>'s embedding row x${END_SCALE} (so answers end), vocab ${policy.config.vocabSize}, ${countParams(policy)} parameters, tied embeddings`);
    write(`work:    ${p.batchSize} ${TASK} prompts (${promptRecords(policy, setup.items).map((r) => r.ids.length).join(', ')} tokens) x ${G} answers, <= ${p.sampling.maxTokens} tokens at temperature ${p.sampling.temperature}; reward \`correct\` (the task checker); loss ${p.lossType}, beta ${p.beta}, AdamW lr ${p.lr}`);

    // What the Python side checks before it times anything: logits of a few sampled rows, prompt ids, checker verdicts.
    const first = sampleRollouts(policy, prompts, G, p.sampling, seededRandom(1));
    const ended = first.filter((r) => r.ended).length;
    const check = first.filter((_, i) => i % G === 0).slice(0, 4).map((r) => r.sequence.ids);
    const width = Math.min(...check.map((ids) => ids.length));
    await writeReference(dir, policy, check.map((ids) => ids.slice(0, width)), {
      prompts: promptRecords(policy, setup.items),
      equalPrompts: promptRecords(policy, setup.equalItems),
      generations: G,
      sampling: p.sampling,
      epsilon: p.epsilon,
      lr: p.lr,
      beta2: p.beta2,
      weightDecay: p.weightDecay,
      maxNorm: p.gradClip,
      probes: rewardProbes(setup.items, first),
    });
    const args = (mode: string, n: number) => [dir, mode, String(n), String(WARMUP), String(TORCH_THREADS)];

    // 1. Rollout generation, on the GRPO prompts (one left-padded KV-cache batch, as HF's) and on prompts of one length;
    // after each of tempa's rollouts PyTorch samples once with HF generate and once with its loop.
    const torchRollouts = transformers.ok ? startTorchLockstep<RolloutRef>(REFERENCE, args('rollout', rolloutRuns)) : undefined;
    const torchTurn = async () => {
      await torchRollouts?.unit();
      await torchRollouts?.unit();
    };
    const random = seededRandom(7);
    const varied = await timeRollouts(policy, prompts, G, p.sampling, rolloutRuns, random, torchTurn);
    const equal = await timeRollouts(policy, setup.equalItems.map((it) => it.prompt), G, p.sampling, rolloutRuns, random, torchTurn);
    const rolloutRef = await torchRollouts?.finish();
    if (values.profile) await printKernelProfile(tf, write, `one rollout (${p.batchSize} x ${G} answers)`, () => sampleRollouts(policy!, prompts, G, p.sampling, random));

    // 2. One GRPO step: collect a rollout (sample, reward; the update's own forward gives the old log-probs), then the dapo loss, backward and AdamW.
    const rewards = await buildRewards([{ type: 'correct' }], { recipeDir: dir });
    const params = policy.parameters();
    const opt = createAdamW(tf, params, { beta1: p.beta1, beta2: p.beta2, eps: p.eps, weightDecay: p.weightDecay });
    const update = (rollout: GrpoRollout) => {
      const tokenCount = rollout.rows.reduce((n, r) => n + (r.inLoss ? r.sequence.ids.length - r.sequence.promptLength : 0), 0);
      optimizerStep(tf, opt, params, () => grpoRowsLoss(tf, policy!, rollout.rows, p, tokenCount).loss, { lr: p.lr, maxNorm: p.gradClip });
    };
    const phases = { wall: [] as Array<[number, number]>, cpu: [] as Array<[number, number]>, length: [] as number[] }; // [generation, update] per step
    let rollout: GrpoRollout | undefined;
    const trlSteps = trl.ok ? startTorchLockstep<GrpoRef>(REFERENCE, args('grpo', steps)) : undefined;
    for (let i = 0; i < WARMUP + steps; i++) {
      const start = clocks();
      rollout = await collectRollout({ policy }, setup.items, rewards, p, 100 + i);
      const generation = since(start);
      const sampled = clocks();
      update(rollout);
      const updated = since(sampled);
      await trlSteps?.unit(); // then one TRL step
      if (i < WARMUP) continue;
      phases.wall.push([generation.wall, updated.wall]);
      phases.cpu.push([generation.cpu, updated.cpu]);
      phases.length.push(rollout.metrics['completions/mean_length']!);
    }
    const stepMs = (split: Array<[number, number]>): StepMs => ({ stepMs: median(split.map(([g, u]) => g + u)), generationMs: median(split.map(([g]) => g)), updateMs: median(split.map(([, u]) => u)) });
    const [ours, oursCpu] = [stepMs(phases.wall), stepMs(phases.cpu)];
    if (values.profile) {
      await printKernelProfile(tf, write, 'one GRPO rollout (sample, reward)', () => collectRollout({ policy: policy! }, setup.items, rewards, p, 1));
      await printKernelProfile(tf, write, 'one GRPO update (dapo loss, backward, AdamW)', () => update(rollout!));
    }

    const grpoRef = await trlSteps?.finish();

    const faster = (ref?: { hf: Sampled; loop: Sampled }) => ref && (ref.loop.tokensPerSec > ref.hf.tokensPerSec ? { name: 'torch loop', ...ref.loop } : { name: 'HF generate', ...ref.hf });
    const ratio = (ours: number, theirs: number | undefined) => (theirs === undefined ? '-' : `${(ours / theirs).toFixed(2)}x`);
    const rolloutRows = (label: string, ours: Sampled, ref?: { hf: Sampled; loop: Sampled }) => {
      const anchor = faster(ref);
      const row = (name: string, theirs: Sampled | undefined, note: string) => [name, theirs ? theirs.tokensPerSec.toFixed(0) : '-', ratio(ours.tokensPerSec, theirs?.tokensPerSec), ratio(ours.tokensPerCpuSec, theirs?.tokensPerCpuSec), note];
      return [
        [label, ours.tokensPerSec.toFixed(0), ...row('', anchor, anchor ? `the faster PyTorch sampler: ${anchor.name}` : transformers.reason).slice(1)],
        ['  HF generate', '', ...row('', ref?.hf, 'GPT2LMHeadModel.generate, KV cache, left padding').slice(1)],
        ['  torch loop', '', ...row('', ref?.loop, 'GPT-2 written out, preallocated KV cache').slice(1)],
      ];
    };
    const stepRow = (label: string, key: keyof StepMs, note: string) => [label, ours[key].toFixed(0), grpoRef ? grpoRef[key].toFixed(0) : '-', ratio(1 / ours[key], grpoRef && 1 / grpoRef[key]), ratio(1 / oursCpu[key], grpoRef && 1 / grpoRef.cpu[key]), note];
    printTable(write, `median of ${rolloutRuns} rollouts / ${steps} GRPO steps after ${WARMUP} warm-up, backend ${backend}; ratio = tempa speed / reference speed (above 1: tempa faster), by wall and by CPU time`, ['work', 'tempa', 'reference', 'ratio', 'CPU ratio', 'reference is'], [
      ...rolloutRows(`rollout, ${p.batchSize} prompts of ${lengthRange(policy, setup.items)} tokens x ${G} (tok/s)`, varied, rolloutRef?.varied),
      ...rolloutRows(`rollout, ${p.batchSize} prompts of ${lengthRange(policy, setup.equalItems)} tokens x ${G} (tok/s)`, equal, rolloutRef?.equal),
      stepRow('GRPO step (ms)', 'stepMs', grpoRef ? 'TRL GRPOTrainer' : `no TRL: ${trl.reason}`),
      stepRow('  generation + reward (ms)', 'generationMs', 'tempa: collectRollout; TRL: _generate_and_score_completions (both: old log-probs from the update at num_iterations 1)'),
      stepRow('  loss, backward, AdamW (ms)', 'updateMs', 'the rest of the step'),
    ]);
    const lengths = (ref?: { hf: Sampled; loop: Sampled }) => (ref ? `, HF generate ${ref.hf.meanLength.toFixed(1)}, torch loop ${ref.loop.meanLength.toFixed(1)}` : '');
    write(`mean answer tokens: rollouts tempa ${varied.meanLength.toFixed(1)}${lengths(rolloutRef?.varied)} (one length: tempa ${equal.meanLength.toFixed(1)}${lengths(rolloutRef?.equal)}); GRPO steps tempa ${mean(phases.length).toFixed(1)}${grpoRef ? `, TRL ${grpoRef.meanLength.toFixed(1)}` : ''}; ${ended}/${first.length} of tempa's first rollout ended with <|end|>`);
    if (rolloutRef) write(`PyTorch rollout (${rolloutRef.version}, ${TORCH_THREADS} threads): logits max |diff| vs tempa ${rolloutRef.logitsMaxDiff.toExponential(1)}; the loop's greedy tokens equal HF generate's`);
    if (grpoRef) write(`TRL GRPOTrainer (${grpoRef.version}, ${TORCH_THREADS} threads, fp32, no gradient checkpointing, per_device_train_batch_size ${p.batchSize * G}, num_generations ${G}, loss dapo, beta 0): ${grpoRef.stepMs.toFixed(0)} ms/step, ${grpoRef.cpu.stepMs.toFixed(0)} CPU ms; its checker gave tempa's verdict on every probe`);
  } finally {
    policy?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

const lengthRange = (policy: LanguageModel, items: readonly ScorableItem[]) => {
  const n = promptRecords(policy, items).map((r) => r.ids.length);
  return Math.min(...n) === Math.max(...n) ? String(n[0]) : `${Math.min(...n)}-${Math.max(...n)}`;
};

const countParams = (model: LanguageModel) => Object.values(model.parameters()).reduce((n, t) => n + t.size, 0);

await main();
