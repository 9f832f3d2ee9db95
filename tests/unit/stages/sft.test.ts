// tokenizer -> init -> make-instructions -> sft on a tiny model with the pure-JS cpu backend: outputs
// exist, the loss falls, eval.json scores each task, batches are masked and packed as documented,
// malformed rows are counted, and a killed run resumes to exactly the uninterrupted losses.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHAT_TEMPLATE } from '../../../stages/shared/chat/template.ts';
import { initTf } from '../../../stages/shared/backend/tf.ts';
import { loadTokenizer } from '../../../stages/shared/tokenizer/tokenizer-dir.ts';
import { PAD_ID } from '../../../stages/shared/tokenizer/special-tokens.ts';
import type { EvalReport } from '../../../stages/shared/eval/task-accuracy.ts';
import sftStage from '../../../stages/sft/index.ts';
import type { ChatRow } from '../../../stages/shared/chat/rows.ts';
import { buildExamples, sftBatch } from '../../../stages/sft/sft-data.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';
import { tinyInstructSetup } from '../../helpers/tiny-instruct.ts';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((c) => c.dispose())));

const SFT = { steps: 20, batchSize: 8, lr: 0.01, minLr: 0.001, warmupSteps: 2, evalEvery: 10, evalBatches: 2, checkpointEvery: 5, logEvery: 100, evalExamples: 20, evalSampling: { maxTokens: 8 } };

async function context(overrides: Partial<TestStageContext> = {}) {
  const ctx = await makeStageContext({ seed: 7, runtime: { backend: 'cpu' }, ...overrides });
  contexts.push(ctx);
  return ctx;
}

let modelDir: string;
let trainFile: string;
let heldOutFile: string;

before(async () => {
  ({ modelDir, trainFile, heldOutFile } = await tinyInstructSetup(context, { tasks: ['strings/upper-case', 'lists/max'], difficulty: 'easy', trainPerTask: 60, heldOutPerTask: 8 }));
});

async function sft(params: Record<string, unknown> = {}, ctx?: TestStageContext, files: { train: string; heldOut?: string } = { train: trainFile, heldOut: heldOutFile }) {
  const c = ctx ?? (await context());
  c.inputs.model = inputFrom([modelDir]);
  c.inputs.train = inputFrom([files.train]);
  if (files.heldOut !== undefined) c.inputs.heldOut = inputFrom([files.heldOut]);
  const result = await runStage(sftStage, c, { ...SFT, ...params });
  const curve = (await readFile(join(c.outDir, 'curve.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; valLoss?: number });
  return { result, curve, ctx: c };
}

describe('sft', () => {
  it('lowers the loss on assistant tokens and writes the model, curve and per-task eval', async () => {
    const { result, curve, ctx } = await sft();
    assert.ok(result.metrics.valLoss! < result.metrics.initialValLoss! - 1, `val ${result.metrics.valLoss} vs initial ${result.metrics.initialValLoss}`);
    assert.ok(curve.at(-1)!.loss < curve[0]!.loss);
    assert.equal(result.metrics.examples, 120);
    const model = join(ctx.outDir, 'model');
    for (const file of ['model.safetensors', 'config.json', 'tokenizer.json']) assert.ok(existsSync(join(model, file)), file);
    const tokenizerConfig = JSON.parse(await readFile(join(model, 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
    assert.equal(tokenizerConfig.chat_template, CHAT_TEMPLATE);
    const report = JSON.parse(await readFile(join(ctx.outDir, 'eval.json'), 'utf8')) as EvalReport;
    assert.deepEqual(Object.keys(report.tasks).sort(), ['lists/max', 'strings/upper-case']);
    assert.equal(report.overall.total, 16);
    for (const s of Object.values(report.tasks)) assert.equal(s.total, 8);
    assert.equal(result.metrics.heldOutAccuracy, report.overall.accuracy);
    assert.ok(report.answers.length > 0 && typeof report.answers[0]!.response === 'string');
  });

  it('a run stopped after a checkpoint resumes to exactly the uninterrupted losses', async () => {
    const params = { steps: 8, checkpointEvery: 3, packing: 'pack', evalExamples: 4 };
    const whole = await sft(params);
    const ctx = await context();
    ctx.progress = (update) => {
      if (update.step === 5) ctx.abortController.abort();
    };
    const stopped = await sft(params, ctx).then(() => undefined, (e: unknown) => e);
    assert.equal((stopped as Error | undefined)?.name, 'AbortError');
    const resumed = await sft(params, await context({ checkpointDir: ctx.checkpointDir }));
    assert.equal(resumed.result.metrics.resumedFrom, 3);
    assert.deepEqual(resumed.curve, whole.curve);
  });

  it('skips and counts malformed rows with onMalformed: skip, and names file:line without it', async () => {
    const ctx = await context();
    const broken = join(ctx.root, 'broken.jsonl');
    await writeFile(broken, `${readFileSync(trainFile, 'utf8')}{"messages": [{"role": "user", "content": "hi"}]}\nnot json\n`);
    const { result } = await sft({ steps: 2, onMalformed: 'skip' }, ctx, { train: broken, heldOut: heldOutFile });
    assert.equal(result.metrics.skipped, 2);
    const strict = await context({ recipeDir: ctx.root });
    await assert.rejects(sft({ steps: 2 }, strict, { train: broken, heldOut: heldOutFile }), /broken\.jsonl:121: messages has no assistant message to learn from/);
  });

  it('without heldOut, validates on a tail of train and scores nothing', async () => {
    const { result, ctx } = await sft({ steps: 2, validFraction: 0.1 }, undefined, { train: trainFile });
    assert.equal(result.metrics.examples, 108);
    assert.equal(result.metrics.heldOutScored, 0);
    assert.equal(result.metrics.heldOutAccuracy, undefined);
    const report = JSON.parse(await readFile(join(ctx.outDir, 'eval.json'), 'utf8')) as EvalReport;
    assert.deepEqual(report.overall, { correct: 0, total: 0, accuracy: 0 });
  });

  it('trains on replay rows beside train: an earlier stage\'s data kept in the mix', async () => {
    const ctx = await context();
    const replay = join(ctx.root, 'replay.jsonl');
    await writeFile(replay, ['the cat', 'the dog', 'a whale'].map((s) => JSON.stringify({ prompt: `say ${s}`, completion: s })).join('\n') + '\n');
    ctx.inputs.replay = inputFrom([replay]);
    const { result } = await sft({ steps: 2 }, ctx);
    const alone = await sft({ steps: 2 });
    assert.equal(result.metrics.examples, alone.result.metrics.examples! + 3);
  });

  it('leaks no tensors', async () => {
    const { tf } = await initTf('cpu');
    await sft({ steps: 2, evalExamples: 2 });
    const before = tf.memory().numTensors;
    await sft({ steps: 4, evalExamples: 4 });
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('sft batches', () => {
  const rows = (answers: string[]): ChatRow[] =>
    answers.map((a, i) => ({
      row: {},
      turns: [
        { role: 'user', content: `question ${i}` },
        { role: 'assistant', content: a },
      ],
    }));

  it('pads one conversation per row with <|pad|> and -1 targets, or packs several per row', async () => {
    const { tokenizer } = await loadTokenizer(modelDir);
    const { examples } = buildExamples(tokenizer, rows(['yes', 'no', 'maybe']), 32, 'truncate');
    const pad = sftBatch(examples, 4, 32, 'pad', 1, 0, 0);
    const pack = sftBatch(examples, 4, 32, 'pack', 1, 0, 0);
    const pads = (x: Int32Array) => x.filter((id) => id === PAD_ID).length;
    assert.ok(pads(pack.x) < pads(pad.x));
    for (const batch of [pad, pack]) {
      batch.x.forEach((id, i) => id === PAD_ID && assert.equal(batch.y[i], -1));
    }
    assert.deepEqual(sftBatch(examples, 4, 32, 'pack', 1, 3, 1), sftBatch(examples, 4, 32, 'pack', 1, 3, 1));
  });

  it('truncates or drops over-long conversations and counts them', async () => {
    const { tokenizer } = await loadTokenizer(modelDir);
    const long = rows(['short', 'a much longer answer that will not fit into the small context at all']);
    const truncated = buildExamples(tokenizer, long, 16, 'truncate');
    assert.deepEqual([truncated.examples.length, truncated.truncated, truncated.dropped], [2, 1, 0]);
    assert.equal(truncated.examples[1]!.x.length, 16);
    const dropped = buildExamples(tokenizer, long, 16, 'drop');
    assert.deepEqual([dropped.examples.length, dropped.truncated, dropped.dropped], [1, 0, 1]);
  });
});
