// Preference tuning on a tiny model with a preference it can learn (the chosen answer is always "yes"):
// the reward model reaches full held-out accuracy and saves its normalisation; DPO and PPO steps give the
// same loss and gradients on the fused kernels as on the pure-JS composite path, and match finite
// differences; a DPO or PPO run stopped after a checkpoint resumes to exactly the uninterrupted curve
// (PPO mid-rollout, from the rollout saved in the checkpoint); PPO adds declared rewards to the reward
// model's score, learns from them alone, and refuses to run with neither; make-preferences reads human
// labels.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import dpoStage, { dpoBatch, type Encoded } from '../../../stages/dpo/index.ts';
import makePreferencesStage from '../../../stages/make-preferences/index.ts';
import ppoStage, { ppoMinibatchLoss, rowTensors, type Row } from '../../../stages/ppo/index.ts';
import rewardModelStage from '../../../stages/reward-model/index.ts';
import { initTf, type TF } from '../../../stages/shared/backend/tf.ts';
import type { LanguageModel } from '../../../stages/shared/model/language-model.ts';
import { saveModel } from '../../../stages/shared/model/model-io.ts';
import { chatSequence, pairBatch, sequenceBatch } from '../../../stages/shared/preference/sequences.ts';
import { assertSameOnBothPaths, checkFiniteDifferences, FUSED } from '../../helpers/gradient-checks.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';
import { tinyLanguageModel, tinyTokenizer } from '../../helpers/tiny-model.ts';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((c) => c.dispose())));
const context = async () => {
  const ctx = await makeStageContext({ seed: 11, runtime: { backend: FUSED } });
  contexts.push(ctx);
  return ctx;
};

const SUBJECTS = ['the cat', 'the dog', 'a whale', 'the mat', 'the log', 'a fish', 'the sailor', 'the sea', 'a ship', 'the sun', 'a bird', 'the moon'];
let root: string;
let modelDir: string;
let pairsFile: string;
let promptsFile: string;
let tasksFile: string;
let rewardModule: string;

before(async () => {
  const ctx = await context();
  root = ctx.root;
  const { tf } = await initTf('cpu');
  const { tokenizer, dir } = await tinyTokenizer(root);
  const model = tinyLanguageModel(tf, tokenizer, 3, { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 32 });
  modelDir = join(root, 'model');
  await saveModel(model, modelDir, { step: 0 }, dir);
  model.dispose();
  pairsFile = join(root, 'pairs.jsonl');
  const pairs = SUBJECTS.flatMap((s) => [
    { prompt: [{ role: 'user', content: `is ${s} wet?` }], chosen: [{ role: 'assistant', content: 'yes' }], rejected: [{ role: 'assistant', content: 'no' }] },
    { prompt: [{ role: 'user', content: `is ${s} here?` }], chosen: 'yes', rejected: 'no, not at all' },
  ]);
  await writeFile(pairsFile, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  promptsFile = join(root, 'prompts.jsonl');
  await writeFile(promptsFile, SUBJECTS.map((s) => JSON.stringify({ prompt: `is ${s} wet?`, completion: 'yes' })).join('\n') + '\n');
  // The same prompts as task rows (make-instructions' fields), which declared rewards score answers against.
  tasksFile = join(root, 'tasks.jsonl');
  await writeFile(tasksFile, SUBJECTS.map((s, i) => JSON.stringify({ task: 'arithmetic/add', instruction: `is ${s} wet?`, answer: String(i % 3), output: `Answer: ${i % 3}` })).join('\n') + '\n');
  rewardModule = join(root, 'rewards.mjs');
  await writeFile(rewardModule, [
    'export const constant = (batch) => batch.map(() => 1);',
    "export const letterE = (batch) => batch.map((c) => [...c.response].filter((ch) => ch === 'e').length / Math.max(1, c.response.length));",
  ].join('\n') + '\n');
});

const TRAIN = { batchSize: 8, lr: 0.01, minLr: 0.001, warmupSteps: 0, validFraction: 0.25, evalEvery: 10, checkpointEvery: 5, logEvery: 100 };
const readCurve = async (ctx: TestStageContext) => (await readFile(join(ctx.outDir, 'curve.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

function encodedPairs(model: LanguageModel): Encoded[] {
  return SUBJECTS.slice(0, 3).map((s, i) => ({
    chosen: chatSequence(model.tokenizer, [{ role: 'user', content: `is ${s} wet?` }], 'yes', 32),
    rejected: chatSequence(model.tokenizer, [{ role: 'user', content: `is ${s} wet?` }], i === 1 ? 'no, not at all' : 'no', 32),
    refChosen: -3 - i,
    refRejected: -2.5,
  }));
}

function ppoRows(model: LanguageModel): Row[] {
  return SUBJECTS.slice(0, 4).map((s, i) => {
    const sequence = chatSequence(model.tokenizer, [{ role: 'user', content: `is ${s} here?` }], i % 2 ? 'yes' : 'no, not at all', 32);
    const n = sequence.ids.length - sequence.promptLength;
    // Old log-probs far enough from the policy's that some ratios clip.
    return { sequence, oldLogp: Array.from({ length: n }, (_, t) => -6 + 0.9 * t - i), oldValues: Array.from({ length: n }, (_, t) => 0.1 * t), advantages: Array.from({ length: n }, (_, t) => (t % 2 ? 1 : -0.5) * (i + 1)), returns: Array.from({ length: n }, (_, t) => 0.3 - 0.1 * t) };
  });
}

const DPO_OPTIONS = { beta: 0.1, lossType: 'sigmoid', labelSmoothing: 0, nllCoef: 0.5 } as const;
const PPO_OPTIONS = { sampling: { maxTokens: 8, temperature: 0.7, topK: 0, topP: 1 }, cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1 };

const dpoLossOf = (tf: TF, model: LanguageModel) => {
  const pairs = encodedPairs(model);
  return dpoBatch(tf, model, pairs, pairBatch(tf, pairs), { ...DPO_OPTIONS } as never).loss;
};

const ppoLossOf = (tf: TF, model: LanguageModel) => {
  if (!model.heads.score) model.addHead('score', 5);
  const rows = ppoRows(model);
  const batch = sequenceBatch(tf, rows.map((r) => r.sequence));
  return ppoMinibatchLoss(tf, model, model, batch, rowTensors(tf, rows, batch.ids.shape[1]!), PPO_OPTIONS).loss;
};

async function stageRun(stage: Parameters<typeof runStage>[0], inputs: Record<string, string>, params: Record<string, unknown>, ctx?: TestStageContext) {
  const c = ctx ?? (await context());
  for (const [name, path] of Object.entries(inputs)) c.inputs[name] = inputFrom([path]);
  const result = await runStage(stage, c, params);
  return { result, ctx: c };
}

/** Runs `stage` whole, then again stopped after `stopAt` and resumed over the same checkpoint folder; returns both curves. */
async function wholeAndResumed(stage: Parameters<typeof runStage>[0], inputs: Record<string, string>, params: Record<string, unknown>, stopAt: number) {
  const whole = await stageRun(stage, inputs, params);
  const stopped = await context();
  stopped.progress = (update) => {
    if (update.step === stopAt) stopped.abortController.abort();
  };
  await assert.rejects(stageRun(stage, inputs, params, stopped), { name: 'AbortError' });
  const resumed = await context();
  resumed.checkpointDir = stopped.checkpointDir;
  const again = await stageRun(stage, inputs, params, resumed);
  return { whole, resumed: again, wholeCurve: await readCurve(whole.ctx), resumedCurve: await readCurve(again.ctx), checkpointDir: stopped.checkpointDir };
}

let rewardDir: string;

describe('preference tuning on a tiny model', () => {
  it(`a DPO step (with the NLL term): loss and every gradient equal on cpu and ${FUSED}, and match finite differences`, async () => {
    await assertSameOnBothPaths(modelDir, dpoLossOf);
    await checkFiniteDifferences(modelDir, dpoLossOf);
  });

  it(`a PPO minibatch (clipped policy + value loss): loss and every gradient equal on cpu and ${FUSED}, and match finite differences`, async () => {
    await assertSameOnBothPaths(modelDir, ppoLossOf);
    await checkFiniteDifferences(modelDir, ppoLossOf);
  });

  it('reward-model learns the preference: every training pair and most held-out ones ranked right, normalisation saved', async () => {
    const { result, ctx } = await stageRun(rewardModelStage, { model: modelDir, pairs: pairsFile }, { ...TRAIN, steps: 60 });
    // Four held-out pairs of unseen prompts: the tiny model generalises to most of them (3 of 4 here), from 1 of 4.
    assert.ok(result.metrics.heldOutAccuracy! >= 0.75 && result.metrics.heldOutAccuracy! >= result.metrics.initialHeldOutAccuracy! + 0.25, JSON.stringify(result.metrics));
    const curve = await readCurve(ctx);
    assert.equal(curve.at(-1)!.accuracy, 1);
    assert.equal(result.metrics.shorterAccuracy! < 1, true);
    rewardDir = join(ctx.outDir, 'model');
    const saved = JSON.parse(await readFile(join(rewardDir, 'config.json'), 'utf8')) as { tempa: { reward: { mean: number; std: number } } };
    assert.ok(saved.tempa.reward.std > 0 && Number.isFinite(saved.tempa.reward.mean));
  });

  it('dpo widens the chosen-rejected margin to full held-out accuracy, and a stopped run resumes to the same curve', async () => {
    const runs = await wholeAndResumed(dpoStage, { model: modelDir, pairs: pairsFile }, { ...TRAIN, steps: 16 }, 7);
    assert.equal(runs.whole.result.metrics.heldOutRewardAccuracy, 1);
    assert.ok(runs.whole.result.metrics['rewards/margins']! > 0);
    assert.equal(runs.resumed.result.metrics.resumedFrom, 5);
    assert.deepEqual(runs.resumedCurve, runs.wholeCurve);
    assert.ok((await readFile(join(runs.checkpointDir, 'reference-logps.json'), 'utf8')).startsWith('['));
  });

  it('ppo stopped mid-rollout resumes from the saved rollout to exactly the uninterrupted curve', async () => {
    assert.ok(rewardDir, 'the reward-model test runs first');
    const params = { steps: 8, batchSize: 6, ppoEpochs: 2, minibatches: 2, lr: 0.001, checkpointEvery: 3, logEvery: 100, prompts: 100, sampling: { maxTokens: 6, temperature: 1 } };
    const runs = await wholeAndResumed(ppoStage, { model: modelDir, rewardModel: rewardDir, prompts: promptsFile }, params, 5);
    assert.equal(runs.resumed.result.metrics.resumedFrom, 3); // update 3 of rollout 0: the rollout came from the checkpoint
    assert.deepEqual(runs.resumedCurve, runs.wholeCurve);
    for (const key of ['objective/kl', 'objective/scores', 'policy/clipfrac', 'loss/value', 'val/ratio']) assert.ok(Number.isFinite(runs.wholeCurve.at(-1)![key]), key);
  });

  it('ppo adds declared rewards, with their weights, to the reward model\'s score of the same answers', async () => {
    assert.ok(rewardDir, 'the reward-model test runs first');
    const params = { steps: 2, batchSize: 6, ppoEpochs: 2, lr: 0.001, logEvery: 100, sampling: { maxTokens: 6, temperature: 1 } };
    const alone = await stageRun(ppoStage, { model: modelDir, rewardModel: rewardDir, prompts: tasksFile }, params);
    const withConstant = await stageRun(ppoStage, { model: modelDir, rewardModel: rewardDir, prompts: tasksFile }, { ...params, rewards: [{ type: 'module', path: rewardModule, export: 'constant', weight: 2 }] });
    const [first, second] = [(await readCurve(alone.ctx))[0]!, (await readCurve(withConstant.ctx))[0]!];
    assert.equal(second['rewards/module/mean'], 1);
    assert.ok(Math.abs(second['objective/scores']! - (first['objective/scores']! + 2)) < 1e-9, `${first['objective/scores']} + 2 vs ${second['objective/scores']}`);
    assert.equal(second['answer/length'], first['answer/length']); // the same answers were sampled
  });

  it('ppo with declared rewards and no reward model learns them (value model from the policy)', async () => {
    const params = { steps: 60, batchSize: 12, ppoEpochs: 2, lr: 0.01, minLr: 0.01, klCoef: 0, missingEosPenalty: 0, guards: { maxKl: 1000 }, logEvery: 100, checkpointEvery: 100, sampling: { maxTokens: 8, temperature: 1 } };
    const { result, ctx } = await stageRun(ppoStage, { model: modelDir, prompts: tasksFile }, { ...params, rewards: [{ type: 'module', path: rewardModule, export: 'letterE' }] });
    const curve = await readCurve(ctx);
    const meanOf = (points: Record<string, number>[]) => points.reduce((a, c) => a + c['rewards/module/mean']!, 0) / points.length;
    const [start, end] = [meanOf(curve.slice(0, 10)), meanOf(curve.slice(-10))];
    assert.ok(end > start + 0.1, `share of 'e' in the answers: ${start.toFixed(3)} -> ${end.toFixed(3)}`);
    assert.equal(result.metrics['rewards/module/mean'], curve.at(-1)!['rewards/module/mean']);
  });

  it('ppo refuses to run with no reward model and no rewards, and declared rewards on rows that are not tasks', async () => {
    await assert.rejects(stageRun(ppoStage, { model: modelDir, prompts: tasksFile }, {}), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.message, 'ppo has nothing to score its answers: no `rewardModel` input and no `rewards`');
      assert.equal(error.hint, 'bind rewardModel to a reward-model stage output, or declare rewards such as [{ type: correct }]');
      return true;
    });
    await assert.rejects(stageRun(ppoStage, { model: modelDir, prompts: promptsFile }, { rewards: [{ type: 'correct' }] }), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.message, `none of ${SUBJECTS.length} prompt rows is a known task whose prompt fits the context with room to answer, as the declared rewards need`);
      return true;
    });
  });

  it("make-preferences pairs candidates by human labels: each labeller's last choice counts, a split is a tie, unlabelled pairs are counted", async () => {
    const labels = join(root, 'labels.jsonl');
    await writeFile(labels, '');
    const params = { judge: 'labels', samples: 3, includeGreedy: false, sampling: { maxTokens: 4, temperature: 1.5 } };
    const unlabelled = await stageRun(makePreferencesStage, { model: modelDir, prompts: promptsFile, labels }, params);
    assert.equal(unlabelled.result.metrics.pairs, 0);
    assert.equal(unlabelled.result.metrics.unlabelled, unlabelled.result.metrics.candidates);
    const candidates = (await readFile(join(unlabelled.ctx.outDir, 'candidates.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; answers: [string, string] });
    assert.ok(candidates.length >= 3, `${candidates.length} candidates`);
    const [c0, c1, c2] = candidates as [(typeof candidates)[0], (typeof candidates)[0], (typeof candidates)[0]];
    const rows = [
      { pairId: c0.id, choice: 'a', labeller: 'x' },
      { pairId: c1.id, choice: 'b', labeller: 'x' },
      { pairId: c1.id, choice: 'a', labeller: 'y' },
      { pairId: c2.id, choice: 'a', labeller: 'x' },
      { pairId: c2.id, choice: 'b', labeller: 'x' }, // x changed their mind: the later row counts
    ];
    await writeFile(labels, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const labelled = await stageRun(makePreferencesStage, { model: modelDir, prompts: promptsFile, labels }, params);
    assert.equal(labelled.result.metrics.pairs, 2);
    assert.equal(labelled.result.metrics.unlabelled, candidates.length - 3);
    const pairs = (await readFile(join(labelled.ctx.outDir, 'pairs.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; chosen: { content: string }[]; rejected: { content: string }[]; reason: string });
    const byId = (a: string[], b: string[]) => a[0]!.localeCompare(b[0]!);
    assert.deepEqual(pairs.map((p) => [p.id, p.chosen[0]!.content, p.rejected[0]!.content, p.reason]).sort(byId), [
      [c0.id, c0.answers[0], c0.answers[1], 'label a (1 of 1)'],
      [c2.id, c2.answers[1], c2.answers[0], 'label b (1 of 1)'],
    ].sort(byId));
    const stats = JSON.parse(await readFile(join(labelled.ctx.outDir, 'stats.json'), 'utf8')) as { outcomes: Record<string, number> };
    assert.equal(stats.outcomes['tie: labelled tie or split'], 1);
  });
});
