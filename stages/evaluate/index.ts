// `uses: evaluate` — held-out exact match per task of any model (init, pretrain, sft, later RL stages),
// optionally beside a baseline model answering the very same prompts, beside the chance baselines of each
// task, with pass@k from sampled answers, in a side-by-side report.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { PipelineError } from '../../engine/errors.ts';
import { defineStage, type InputArtifact } from '../../engine/stage.ts';
import { deriveSeed } from '../../engine/rng.ts';
import { readChatRows, type ChatRow } from '../shared/chat/rows.ts';
import type { ChatTurn } from '../shared/chat/template.ts';
import { chanceBaselines, type ChanceReport } from '../shared/eval/chance-baselines.ts';
import { sampledPassAtK } from '../shared/eval/sampled-pass-at-k.ts';
import { evaluateTasks, scorableItems } from '../shared/eval/task-accuracy.ts';
import { loadModel } from '../shared/model/model-io.ts';
import { stageBackend } from '../shared/model/open-model.ts';
import { backendInfo, type TF } from '../shared/backend/tf.ts';
import { answerDrift, type Drift } from './drift.ts';
import { accuracyTable, driftTable, passAtKTable, renderReport, type ModelResult } from './report.ts';
import { evaluateSchema } from './schema.ts';

type EvaluateParams = FromSchema<typeof evaluateSchema>;

async function evaluateOne(tf: TF, modelDir: string, label: string, rows: readonly ChatRow[], p: EvaluateParams, seed: number): Promise<ModelResult> {
  const model = await loadModel(tf, modelDir);
  try {
    const { sampling, examples = 500, prompts = [], samples, sampleTemperature } = p;
    const report = evaluateTasks(model, rows, { ...sampling, limit: examples }, seed);
    const passAtK =
      samples === 0
        ? undefined
        : sampledPassAtK(model, scorableItems(rows, examples), { samples, temperature: sampleTemperature, maxTokens: sampling.maxTokens }, deriveSeed(seed, 'pass@k'));
    const promptAnswers = model.answer(prompts.map((content) => [{ role: 'user' as const, content }]), sampling, seed);
    return { label, report, ...(passAtK === undefined ? {} : { passAtK }), promptAnswers };
  } finally {
    model.dispose();
  }
}

export default defineStage({
  name: 'evaluate',
  version: 2,
  description: 'Held-out exact match per task of a model, beside a baseline model and chance on the same prompts, with pass@k and a report.',
  headline: ['accuracy', 'gainPoints', 'chanceMajority'],
  schema: evaluateSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'the model folder to evaluate (from init, pretrain, sft or a later stage)' },
    baseline: { kind: 'dir', optional: true, description: 'a model folder to compare with, e.g. the pre-trained model' },
    heldOut: { kind: 'any', description: 'JSONL rows with `task`, `instruction` and `output` (make-instructions heldOut)' },
    rewardModel: { kind: 'dir', optional: true, description: "a reward model: each model's mean score on its sampled answers, beside accuracy, so reward hacking shows" },
  }),
  outputs: () => ({ eval: { kind: 'file' }, report: { kind: 'file' } }),
  async run(ctx, p) {
    const { tf, backend } = await stageBackend(ctx);
    const { rows, skipped } = await readChatRows(ctx.inputs.heldOut!.files, {
      onMalformed: p.onMalformed,
      signal: ctx.signal,
      displayName: (f) => path.relative(ctx.recipeDir, f),
    });
    const compared = [ctx.inputs.baseline, ctx.inputs.model!].filter((input) => input !== undefined);
    const dirs = compared.map((input) => input.path);
    const results: ModelResult[] = [];
    for (const input of compared) {
      ctx.signal.throwIfAborted();
      results.push(await evaluateOne(tf, input.path, labelOf(input), rows, p, ctx.seed));
    }
    const [baseline, model] = results.length === 2 ? results : [undefined, results[0]!];
    if (model.report.overall.total === 0) throw noScorableRows(rows.length);
    labelDuplicates(results);
    const chance = chanceBaselines(scorableItems(rows, p.examples).map(({ item }) => item));
    const drift = await measureDrift(tf, dirs, ctx.inputs.rewardModel?.path, scorableItems(rows, p.examples).map((s) => s.prompt), p.sampling.maxTokens, ctx.seed);
    drift.forEach((d, i) => (results[i]!.drift = d));
    for (const line of [...accuracyTable(results, chance), ...passAtKTable(results), ...driftTable(results)]) ctx.log.info(line);
    if (skipped > 0) ctx.log.warn(`${skipped} malformed held-out rows skipped`);
    await writeFile(path.join(ctx.outDir, 'eval.json'), `${JSON.stringify({ chance, models: results }, null, 2)}\n`);
    await writeFile(path.join(ctx.outDir, 'report.md'), renderReport(results, p.prompts, p.showPerTask, chance));
    p.prompts.forEach((prompt, i) => {
      ctx.log.info(`${JSON.stringify(prompt)} -> ${results.map((r) => `${r.label}: ${JSON.stringify(r.promptAnswers[i])}`).join(' | ')}`);
    });
    const accuracy = model.report.overall.accuracy;
    return {
      metrics: {
        accuracy,
        scored: model.report.overall.total,
        ...(baseline ? { baselineAccuracy: baseline.report.overall.accuracy, gainPoints: (accuracy - baseline.report.overall.accuracy) * 100 } : {}),
        skipped,
        ...tableMetrics(results, chance),
      },
      artifacts: { eval: 'eval.json', report: 'report.md' },
      info: backendInfo(backend),
    };
  },
});

/**
 * The report's tables as flat metrics: `chanceMajority`, `chanceRandom` and `<label>.passAt<k>` overall, and
 * `<task>.<column>` per task, so `tempa show` and later tooling read the numbers without parsing report.md.
 */
function tableMetrics(results: readonly ModelResult[], chance: ChanceReport): Record<string, number> {
  const metrics: Record<string, number> = { chanceMajority: chance.overall.majority.accuracy, chanceRandom: chance.overall.random };
  for (const [task, baseline] of Object.entries(chance.tasks)) {
    metrics[`${task}.chanceMajority`] = baseline.majority.accuracy;
    metrics[`${task}.chanceRandom`] = baseline.random;
  }
  for (const r of results) {
    for (const [task, s] of Object.entries(r.report.tasks)) metrics[`${task}.${r.label}`] = s.accuracy;
    r.passAtK?.overall.forEach((value, i) => (metrics[`${r.label}.passAt${i + 1}`] = value));
    for (const [key, value] of Object.entries(r.drift ?? {})) if (value !== undefined) metrics[`${r.label}.${key}`] = value;
    for (const [task, values] of Object.entries(r.passAtK?.tasks ?? {})) values.forEach((value, i) => (metrics[`${task}.${r.label}.passAt${i + 1}`] = value));
  }
  return metrics;
}

/** Answer length, reward score and KL to the baseline of each model (the baseline's KL to itself is 0, left out). */
async function measureDrift(tf: TF, dirs: readonly string[], rewardDir: string | undefined, prompts: ChatTurn[][], maxTokens: number, seed: number): Promise<Drift[]> {
  const models = await Promise.all(dirs.map((dir) => loadModel(tf, dir)));
  const rewardModel = rewardDir ? await loadModel(tf, rewardDir) : undefined;
  try {
    const baseline = models.length === 2 ? models[0] : undefined;
    return models.map((model) => answerDrift(model, prompts, { maxTokens, seed, rewardModel, baseline: model === baseline ? undefined : baseline }));
  } finally {
    for (const m of [...models, ...(rewardModel ? [rewardModel] : [])]) m.dispose();
  }
}

/** A model is named by the stage that made it, as the recipe binds it (part of this stage's key). */
function labelOf(input: InputArtifact): string {
  return input.from?.stage ?? path.basename(input.path);
}

/** A model compared with itself (both inputs bound to one stage's model) needs telling apart in the table. */
function labelDuplicates(results: ModelResult[]): void {
  if (results.length === 2 && results[0]!.label === results[1]!.label) {
    results[0]!.label = `${results[0]!.label} (baseline)`;
  }
}

function noScorableRows(rows: number): PipelineError {
  return new PipelineError('DATA_INVALID', `evaluate found no scorable rows among ${rows} held-out rows`, {
    hint: 'bind heldOut to make-instructions.heldOut, or rows with `task`, `instruction` and `output` of a built-in task',
  });
}
