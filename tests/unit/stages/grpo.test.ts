// GRPO on a tiny model: a step's loss and gradients equal on the fused kernels and the pure-JS composite
// path and match finite differences; dynamic sampling replaces groups that scored alike until the batch
// is full; the first update's own log-probs stand for the sampling policy's, equal to a separate forward;
// a run stopped mid-rollout resumes from the saved rollout to exactly the uninterrupted curve; the
// zero-spread guard stops a run that has nothing to learn from, naming the cause.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import grpoStage, { collectRollout, grpoRowsLoss, type GrpoRow } from '../../../stages/grpo/index.ts';
import { grpoSchema, type GrpoParams } from '../../../stages/grpo/schema.ts';
import { initTf, type TF } from '../../../stages/shared/backend/tf.ts';
import { readChatRows } from '../../../stages/shared/chat/rows.ts';
import { scorableItems } from '../../../stages/shared/eval/task-accuracy.ts';
import type { LanguageModel } from '../../../stages/shared/model/language-model.ts';
import { loadModel, saveModel } from '../../../stages/shared/model/model-io.ts';
import { chatSequence } from '../../../stages/shared/preference/sequences.ts';
import { scoreAnswerTokens } from '../../../stages/shared/rollout/rollouts.ts';
import type { Completion, RewardFunction } from '../../../stages/shared/rewards/index.ts';
import { assertSameOnBothPaths, checkFiniteDifferences } from '../../helpers/gradient-checks.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';
import { tinyLanguageModel, tinyTokenizer } from '../../helpers/tiny-model.ts';
import { maxAbsDiff } from './model/tiny.ts';
import { Ajv } from 'ajv';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((c) => c.dispose())));
const context = async () => {
  const ctx = await makeStageContext({ seed: 13, runtime: { backend: 'cpu' } });
  contexts.push(ctx);
  return ctx;
};

const SUBJECTS = ['the cat', 'the dog', 'a whale', 'the mat', 'the log', 'a fish', 'the sailor', 'the sea', 'a ship', 'the sun', 'a bird', 'the moon'];
let modelDir: string;
let promptsFile: string;

before(async () => {
  const ctx = await context();
  const { tf } = await initTf('cpu');
  const { tokenizer, dir } = await tinyTokenizer(ctx.root);
  const model = tinyLanguageModel(tf, tokenizer, 3, { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 32 });
  modelDir = join(ctx.root, 'model');
  await saveModel(model, modelDir, { step: 0 }, dir);
  model.dispose();
  // Task rows as make-instructions writes them (Alpaca fields plus the task and its reference answer).
  promptsFile = join(ctx.root, 'prompts.jsonl');
  const rows = SUBJECTS.map((s, i) => ({ task: 'arithmetic/add', instruction: `is ${s} wet?`, answer: String(i % 3), output: `Answer: ${i % 3}` }));
  await writeFile(promptsFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
});

/** Parameters with the schema's defaults filled in, as the engine hands them to the stage. */
function params(overrides: Record<string, unknown>): GrpoParams {
  const ajv = new Ajv({ useDefaults: true, strict: false });
  const value = structuredClone(overrides);
  assert.ok(ajv.validate(grpoSchema, value), JSON.stringify(ajv.errors));
  return value as GrpoParams;
}

/** Rows whose old log-probs sit far enough from the policy's that some ratios clip on each side. */
function grpoRows(model: LanguageModel): GrpoRow[] {
  return SUBJECTS.slice(0, 4).map((s, i) => {
    const sequence = chatSequence(model.tokenizer, [{ role: 'user', content: `is ${s} here?` }], i % 2 ? 'yes' : 'no, not at all', 32);
    const n = sequence.ids.length - sequence.promptLength;
    return {
      sequence,
      oldLogp: Array.from({ length: n }, (_, t) => -6 + 0.9 * t - i),
      refLogp: Array.from({ length: n }, (_, t) => -5 + 0.5 * t),
      advantage: [1.2, -0.7, 0.4, -0.9][i]!,
      inLoss: i !== 2,
    };
  });
}

const grpoLossOf = (lossType: GrpoParams['lossType']) => (tf: TF, model: LanguageModel) =>
  grpoRowsLoss(tf, model, grpoRows(model), params({ lossType, beta: 0.05, epsilonHigh: 0.28, sampling: { maxTokens: 24, temperature: 0.9 } }), lossType === 'dapo' ? 17 : undefined).loss;

async function readCurve(ctx: TestStageContext) {
  return (await readFile(join(ctx.outDir, 'curve.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
}

async function stageRun(overrides: Record<string, unknown>, ctx?: TestStageContext) {
  const c = ctx ?? (await context());
  c.inputs.model = inputFrom([modelDir]);
  c.inputs.prompts = inputFrom([promptsFile]);
  const result = await runStage(grpoStage, c, overrides);
  return { result, ctx: c };
}

/** A reward from plain code, for tests that need a known spread. */
function reward(name: string, score: (c: Completion) => number): RewardFunction {
  return { name, weight: 1, score: async (batch) => batch.map(score) };
}

describe('grpo on a tiny model', () => {
  for (const lossType of ['dapo', 'grpo', 'dr_grpo'] as const) {
    it(`a ${lossType} step (clip-higher, k3 KL, a masked answer): loss and every gradient equal on cpu and the fused kernels, and match finite differences`, async () => {
      await assertSameOnBothPaths(modelDir, grpoLossOf(lossType));
      await checkFiniteDifferences(modelDir, grpoLossOf(lossType));
    });
  }

  it('dynamic sampling drops groups that all scored the same and samples more prompts until the batch is full', async () => {
    const { tf } = await initTf('cpu');
    const policy = await loadModel(tf, modelDir);
    const read = await readChatRows([promptsFile], { onMalformed: 'error', signal: new AbortController().signal, displayName: (f) => f });
    const pool = scorableItems(read.rows, 100);
    // Prompts about animals score every answer 1 (no spread); the others score by answer length (spread).
    const animals = /cat|dog|whale|fish|bird/;
    const rewards = [reward('length', (c) => (animals.test(c.prompt) ? 1 : c.response.length % 3))];
    const p = params({ batchSize: 4, generations: 4, sampling: { maxTokens: 6 }, dynamicSampling: { enabled: true, maxRounds: 5 } });
    const rollout = await collectRollout({ policy }, pool, rewards, p, 21);
    policy.dispose();
    assert.equal(rollout.metrics['rollout/groups_kept'], 4);
    assert.ok(rollout.metrics['rollout/rounds']! >= 2, `rounds ${rollout.metrics['rollout/rounds']}`);
    assert.ok(rollout.metrics.frac_reward_zero_std! > 0, 'some sampled groups had no spread');
    assert.equal(rollout.rows.length, 16);
    for (let g = 0; g < 4; g++) {
      const advantages = rollout.rows.slice(g * 4, (g + 1) * 4).map((r) => r.advantage);
      assert.ok(advantages.some((a) => Math.abs(a) > 1e-6), `group ${g} kept with no spread: ${advantages}`);
    }
    const off = await collectRollout({ policy: await loadModel(tf, modelDir) }, pool, rewards, params({ ...p, dynamicSampling: { enabled: false } }), 21);
    assert.equal(off.metrics['rollout/rounds'], 1);
    assert.equal(off.rows.length, 16);
  });

  it('the first update takes old log-probs from its own forward (ratio exactly 1) and records them, equal to a separate forward pass', async () => {
    const { tf } = await initTf('cpu');
    const policy = await loadModel(tf, modelDir);
    const read = await readChatRows([promptsFile], { onMalformed: 'error', signal: new AbortController().signal, displayName: (f) => f });
    const pool = scorableItems(read.rows, 100);
    const rewards = [reward('length', (c) => c.response.length % 3)];
    const p = params({ batchSize: 3, generations: 4, sampling: { maxTokens: 6, temperature: 0.9 } });
    const rollout = await collectRollout({ policy }, pool, rewards, p, 5);
    assert.ok(rollout.rows.every((r) => r.oldLogp === undefined), 'no forward pass at collection for a one-pass rollout');
    const { metrics } = tf.tidy(() => grpoRowsLoss(tf, policy, rollout.rows, p, undefined));
    assert.deepEqual([metrics['clip_ratio/low_mean'], metrics['clip_ratio/high_mean']], [0, 0]);
    const scored = scoreAnswerTokens(policy, rollout.rows.map((r) => r.sequence), 0.9).logps;
    rollout.rows.forEach((r, i) => {
      assert.equal(r.oldLogp!.length, scored[i]!.length);
      assert.ok(maxAbsDiff(r.oldLogp!, scored[i]!) < 1e-5, `row ${i}`);
    });
    const split = await collectRollout({ policy }, pool, rewards, params({ ...p, minibatches: 2 }), 5);
    split.rows.forEach((r, i) => assert.deepEqual(r.oldLogp, scored[i], `row ${i}: minibatches > 1 score the rollout at collection`));
    policy.dispose();
  });

  for (const minibatches of [2, 1]) {
    it(`a run stopped mid-rollout resumes from the saved rollout to exactly the uninterrupted curve (${minibatches === 1 ? 'old log-probs recorded by the first update' : 'old log-probs scored at collection'})`, async () => {
      const overrides = { steps: 8, batchSize: 3, generations: 4, iterations: 2, minibatches, lr: 0.003, checkpointEvery: 3, logEvery: 100, beta: 0.02, rewards: [{ type: 'format' }], sampling: { maxTokens: 6 } };
      const whole = await stageRun(overrides);
      const stopped = await context();
      stopped.progress = (update) => {
        if (update.step === 5) stopped.abortController.abort();
      };
      await assert.rejects(stageRun(overrides, stopped), { name: 'AbortError' });
      const resumed = await context();
      resumed.checkpointDir = stopped.checkpointDir;
      const again = await stageRun(overrides, resumed);
      assert.equal(again.result.metrics.resumedFrom, 3); // mid-rollout (update 3 of rollout 0, or 1 of rollout 1): the rollout came from the checkpoint
      const wholeCurve = await readCurve(whole.ctx);
      assert.deepEqual(await readCurve(again.ctx), wholeCurve);
      for (const key of ['reward', 'rewards/format/mean', 'kl', 'entropy', 'clip_ratio/region_mean', 'completions/mean_length', 'frac_reward_zero_std']) {
        assert.ok(Number.isFinite(wholeCurve.at(-1)![key]), key);
      }
    });
  }

  it('stops when every group scored the same for guards.zeroSpreadRollouts rollouts, naming the cause', async () => {
    // An untrained model never states the right sum: every answer scores 0, every group has no spread.
    await assert.rejects(stageRun({ steps: 6, batchSize: 2, generations: 2, sampling: { maxTokens: 4 }, guards: { zeroSpreadRollouts: 2 }, logEvery: 100 }), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.code, 'TRAINING_DIVERGED');
      assert.equal(error.message, 'grpo stopped: every group scored the same in 2 rollouts in a row (reward 0.000): nothing left to learn from');
      return true;
    });
  });

  it('refuses prompt rows that are not tasks, saying what to bind', async () => {
    const ctx = await context();
    const file = join(ctx.root, 'chat.jsonl');
    await writeFile(file, `${JSON.stringify({ prompt: 'hello', completion: 'hi' })}\n`);
    ctx.inputs.model = inputFrom([modelDir]);
    ctx.inputs.prompts = inputFrom([file]);
    await assert.rejects(runStage(grpoStage, ctx, {}), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.message, 'none of 1 prompt rows is a known task whose prompt fits the context with room to answer');
      return true;
    });
  });
});
