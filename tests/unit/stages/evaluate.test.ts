// `evaluate` on a tiny model: per-task scores agree with the answers it wrote, a model compared with
// itself gains nothing and answers alike, the report lays models side by side, reruns are identical,
// and held-out data with nothing to score is a clear error.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import evaluateStage from '../../../stages/evaluate/index.ts';
import { accuracyTable, passAtKTable, renderReport, shownAnswers, type ModelResult } from '../../../stages/evaluate/report.ts';
import { chanceBaselines, type ChanceReport } from '../../../stages/shared/eval/chance-baselines.ts';
import type { EvalReport } from '../../../stages/shared/eval/task-accuracy.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';
import { tinyInstructSetup, type TinyInstruct } from '../../helpers/tiny-instruct.ts';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((c) => c.dispose())));

async function context(overrides: Partial<TestStageContext> = {}) {
  const ctx = await makeStageContext({ seed: 11, runtime: { backend: 'cpu' }, ...overrides });
  contexts.push(ctx);
  return ctx;
}

let setup: TinyInstruct;
before(async () => {
  setup = await tinyInstructSetup(context, { tasks: ['lists/max', 'strings/count-char'], difficulty: 'easy', trainPerTask: 5, heldOutPerTask: 6 });
});

const PARAMS = { examples: 100, sampling: { maxTokens: 6 }, prompts: ['Say hi.'], showPerTask: 1 };

async function evaluate(inputs: { baseline?: boolean; heldOut?: string; samples?: number } = {}) {
  const ctx = await context();
  // Both bindings name one stage's model, so the labels also show how a duplicate is told apart.
  ctx.inputs.model = { ...inputFrom([setup.modelDir]), from: { stage: 'sft', output: 'model' } };
  if (inputs.baseline) ctx.inputs.baseline = { ...inputFrom([setup.modelDir]), from: { stage: 'sft', output: 'model' } };
  ctx.inputs.heldOut = inputFrom([inputs.heldOut ?? setup.heldOutFile]);
  const result = await runStage(evaluateStage, ctx, { ...PARAMS, ...(inputs.samples === undefined ? {} : { samples: inputs.samples }) });
  const written = JSON.parse(await readFile(join(ctx.outDir, 'eval.json'), 'utf8')) as { chance: ChanceReport; models: ModelResult[] };
  const report = await readFile(join(ctx.outDir, 'report.md'), 'utf8');
  return { result, written, report, ctx };
}

describe('evaluate', () => {
  it('scores every held-out row per task, and its metrics agree with the answers written', async () => {
    const { result, written } = await evaluate();
    const [only] = written.models;
    assert.equal(written.models.length, 1);
    assert.equal(only!.label, 'sft');
    // count-char has five easy answers (0-4) and a quarter of 6 held-out items allows one each: 5 + 6 rows.
    assert.equal(only!.report.answers.length, 11);
    assert.deepEqual(Object.keys(only!.report.tasks).sort(), ['lists/max', 'strings/count-char']);
    for (const [task, score] of Object.entries(only!.report.tasks)) {
      const answers = only!.report.answers.filter((a) => a.task === task);
      assert.deepEqual([score.total, score.correct], [answers.length, answers.filter((a) => a.correct).length]);
    }
    assert.equal(result.metrics.scored, 11);
    assert.equal(result.metrics.accuracy, only!.report.overall.correct / 11);
    assert.equal(only!.promptAnswers.length, 1);
    assert.equal(result.metrics.gainPoints, undefined);
  });

  it('prints the chance baselines of each task and pass@k from 8 sampled answers, in eval.json, metrics and report', async () => {
    const { result, written, report } = await evaluate();
    const heldOut = (await readFile(setup.heldOutFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { task: string; answer: string });
    for (const task of ['lists/max', 'strings/count-char']) {
      const baseline = written.chance.tasks[task]!;
      const answers = heldOut.filter((row) => row.task === task).map((row) => row.answer);
      const top = Math.max(...answers.map((a) => answers.filter((b) => b === a).length));
      assert.equal(baseline.majority.correct, top, task); // always giving the most common answer scores its count
      assert.ok(baseline.majority.accuracy <= 0.25 && baseline.random > 0 && baseline.random < 0.5, task);
      assert.equal(result.metrics[`${task}.chanceMajority`], baseline.majority.accuracy);
      assert.equal(result.metrics[`${task}.chanceRandom`], baseline.random);
    }
    const passAtK = written.models[0]!.passAtK!;
    assert.deepEqual([passAtK.samples, passAtK.temperature, passAtK.overall.length], [8, 1, 8]);
    for (const values of [passAtK.overall, ...Object.values(passAtK.tasks)]) {
      values.forEach((v, i) => assert.ok(v >= 0 && v <= 1 && v >= (values[i - 1] ?? 0), 'pass@k is a probability that grows with k'));
    }
    assert.equal(result.metrics['sft.passAt1'], passAtK.overall[0]);
    assert.equal(result.metrics['sft.passAt8'], passAtK.overall[7]);
    assert.ok(report.includes('always-most-common') && report.includes('## pass@k from sampled answers'));
    assert.ok(report.includes('8 sampled answers per prompt at temperature 1'));
  });

  it('samples nothing with samples: 0', async () => {
    const { result, written, report } = await evaluate({ samples: 0 });
    assert.equal(written.models[0]!.passAtK, undefined);
    assert.equal(result.metrics['sft.passAt1'], undefined);
    assert.ok(!report.includes('pass@k'));
  });

  it('compares with a baseline on the same prompts: the same model answers alike and gains 0 points', async () => {
    const { result, written, report } = await evaluate({ baseline: true });
    const [baseline, model] = written.models;
    assert.deepEqual([baseline!.label, model!.label], ['sft (baseline)', 'sft']);
    assert.deepEqual(baseline!.report.answers, model!.report.answers);
    assert.equal(result.metrics.gainPoints, 0);
    assert.equal(result.metrics.baselineAccuracy, result.metrics.accuracy);
    assert.ok(report.includes('## Held-out exact match per task'));
    assert.ok(report.includes('**Say hi.**'));
    // showPerTask 1: one shown prompt per task, each answered by both models.
    assert.equal(report.match(/^- sft \(baseline\): /gm)?.length, 3);
  });

  it('gives identical results when run again', async () => {
    const first = await evaluate();
    const second = await evaluate();
    assert.deepEqual(second.written, first.written);
    assert.equal(second.report, first.report);
  });

  it('fails clearly when no held-out row belongs to a known task', async () => {
    const ctx = await context();
    const file = join(ctx.root, 'chat.jsonl');
    await writeFile(file, `${JSON.stringify({ prompt: 'hi', completion: 'hello' })}\n`);
    await assert.rejects(evaluate({ heldOut: file }), {
      code: 'DATA_INVALID',
      message: 'evaluate found no scorable rows among 1 held-out rows',
    });
  });
});

describe('evaluation report', () => {
  const report = (tasks: Record<string, [number, number]>): EvalReport => {
    const entries = Object.entries(tasks);
    const correct = entries.reduce((n, [, [c]]) => n + c, 0);
    const total = entries.reduce((n, [, [, t]]) => n + t, 0);
    return {
      overall: { correct, total, accuracy: correct / total },
      tasks: Object.fromEntries(entries.map(([task, [c, t]]) => [task, { correct: c, total: t, accuracy: c / t }])),
      answers: entries.flatMap(([task, [c, t]]) =>
        Array.from({ length: t }, (_, i) => ({ task, prompt: `${task} ${i}`, response: 'x', reference: 'y', correct: i < c })),
      ),
    };
  };
  const results: ModelResult[] = [
    { label: 'pretrain', report: report({ 'lists/max': [0, 4], 'facts/first-letter': [1, 4] }), promptAnswers: [] },
    { label: 'sft', report: report({ 'lists/max': [3, 4], 'facts/first-letter': [4, 4] }), promptAnswers: [] },
  ];

  it('tabulates per-task exact match for each model, tasks sorted, overall last', () => {
    assert.deepEqual(accuracyTable(results), [
      'task                pretrain     sft',
      'facts/first-letter  1/4 (25.0%)  4/4 (100.0%)',
      'lists/max           0/4 (0.0%)   3/4 (75.0%)',
      'all                 1/8 (12.5%)  7/8 (87.5%)',
    ]);
  });

  it('puts the chance baselines before the models, and pass@k per task and model', () => {
    const item = (task: string, answer: string, input: string) => ({ task, instruction: 'What is the largest number in the following list?', input, answer });
    const chance = chanceBaselines([item('lists/max', '5', '[5, 1]'), item('lists/max', '5', '[2, 5, 3]'), item('lists/max', '7', '[7, 7]'), item('lists/max', '9', '[9, 1, 2, 3]')]);
    assert.equal(chance.tasks['lists/max']!.majorityAnswer, '5');
    assert.deepEqual(accuracyTable(results.slice(0, 1), chance), [
      'task                always-most-common  random-answer  pretrain',
      'facts/first-letter  -                   -              1/4 (25.0%)',
      'lists/max           2/4 (50.0%)         52.1%          0/4 (0.0%)',
      'all                 2/4 (50.0%)         52.1%          1/8 (12.5%)',
    ]); // random: (1/2 + 1/3 + 1/1 + 1/4) / 4
    const sampled: ModelResult[] = results.map((r, i) => ({ ...r, passAtK: { samples: 2, temperature: 1, tasks: { 'lists/max': [0.5 * i, 0.75 * i] }, overall: [0.25, 0.5] } }));
    assert.deepEqual(passAtKTable(sampled), [
      '2 sampled answers per prompt at temperature 1; unbiased pass@k (Chen et al. 2021)',
      'task       model     pass@1  pass@2',
      'lists/max  pretrain  0.0%    0.0%',
      '           sft       50.0%   75.0%',
      'all        pretrain  25.0%   50.0%',
      '           sft       25.0%   50.0%',
    ]);
  });

  it('shows the first answers of each task, and every model answer to each shown prompt', () => {
    assert.deepEqual(shownAnswers(results[0]!.report, 2), [0, 1, 4, 5]);
    const md = renderReport(results, [], 1);
    assert.equal(md.match(/^- pretrain: /gm)?.length, 2);
    assert.equal(md.match(/^- sft: `x` ✓$/gm)?.length, 2);
  });
});
