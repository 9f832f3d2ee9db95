// End-to-end tests of the make-instructions stage: outputs exist with the requested counts, train and
// held-out never share an item, the same seed gives byte-identical files, and the facts family needs a corpus.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PipelineError } from '../../../engine/errors.ts';
import makeInstructions, { type InstructionStats } from '../../../stages/make-instructions/index.ts';
import { markAnswer } from '../../../stages/shared/tasks/answer.ts';
import { itemKey, taskItemFromRecord, type InstructionRecord } from '../../../stages/shared/tasks/record.ts';
import { TASKS, verifyAnswer } from '../../../stages/shared/tasks/registry.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((ctx) => ctx.dispose())));

const CORPUS = [
  'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse,',
  'and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.',
  'It is a way I have of driving off the spleen and regulating the circulation. Whenever I find myself growing grim about the mouth;',
  'whenever it is a damp, drizzly November in my soul; then, I account it high time to get to sea as soon as I can.',
].map((text) => JSON.stringify({ text }));

async function make(params: Record<string, unknown> = {}, options: { seed?: number; corpus?: boolean } = {}) {
  const ctx = await makeStageContext({ seed: options.seed ?? 7 });
  contexts.push(ctx);
  if (options.corpus === true) {
    const file = join(ctx.root, 'records.jsonl');
    await writeFile(file, CORPUS.map((line) => `${line}\n`).join(''));
    ctx.inputs.corpus = inputFrom([file]);
  }
  const result = await runStage(makeInstructions, ctx, params);
  const read = async (name: string) => readFile(join(ctx.outDir, name), 'utf8');
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n').map((l) => JSON.parse(l) as InstructionRecord));
  const trainText = await read('train.jsonl');
  const heldOutText = await read('held-out.jsonl');
  const stats = JSON.parse(await read('stats.json')) as InstructionStats;
  const promptsText = await read('prompts.jsonl');
  return { ctx, result, trainText, heldOutText, train: lines(trainText), heldOut: lines(heldOutText), prompts: lines(promptsText), stats };
}

const countBy = (records: InstructionRecord[]) => {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.task] = (counts[r.task] ?? 0) + 1;
  return counts;
};

describe('make-instructions', () => {
  it('writes the requested counts per task, with Alpaca fields and chat messages', async () => {
    const { result, train, heldOut, stats, ctx } = await make({ trainPerTask: 30, heldOutPerTask: 10 });
    const names = Object.keys(TASKS);
    assert.deepEqual(result.artifacts, { train: 'train.jsonl', heldOut: 'held-out.jsonl', prompts: 'prompts.jsonl', stats: 'stats.json' });
    assert.deepEqual(result.metrics, { train: 30 * names.length, heldOut: 10 * names.length, prompts: 0, tasks: names.length, shortTasks: 0 });
    assert.deepEqual(countBy(train), Object.fromEntries(names.map((n) => [n, 30])));
    assert.deepEqual(countBy(heldOut), Object.fromEntries(names.map((n) => [n, 10])));
    assert.deepEqual(stats.tasks['lists/sort'], { train: 30, heldOut: 10, prompts: 0 });
    assert.ok(ctx.logLines.includes('info: no `corpus` input: skipping the facts family'));
    for (const record of [...train, ...heldOut]) {
      assert.deepEqual(Object.keys(record), record.input === undefined ? ['task', 'instruction', 'answer', 'output', 'messages'] : ['task', 'instruction', 'input', 'answer', 'output', 'messages']);
      assert.equal(record.output, markAnswer(record.answer));
      assert.equal(record.messages[0]?.role, 'user');
      assert.ok(record.messages[0]?.content.startsWith(record.instruction));
      assert.deepEqual(record.messages[1], { role: 'assistant', content: record.output });
      assert.equal(verifyAnswer(taskItemFromRecord(record), record.output).correct, true);
    }
  });

  it('never puts an item in both train and held-out', async () => {
    const { train, heldOut } = await make({ trainPerTask: 100, heldOutPerTask: 40, difficulty: 'easy' }, { corpus: true });
    const held = new Set(heldOut.map(itemKey));
    assert.equal(held.size, heldOut.length);
    const trainKeys = new Set(train.map(itemKey));
    assert.equal(trainKeys.size, train.length);
    for (const key of trainKeys) assert.ok(!held.has(key), key);
  });

  it('gives byte-identical files for the same seed and different ones for another', async () => {
    const params = { trainPerTask: 20, heldOutPerTask: 5 };
    const a = await make(params, { seed: 7, corpus: true });
    const b = await make(params, { seed: 7, corpus: true });
    const c = await make(params, { seed: 8, corpus: true });
    assert.equal(b.trainText, a.trainText);
    assert.equal(b.heldOutText, a.heldOutText);
    assert.notEqual(c.trainText, a.trainText);
    assert.notEqual(c.heldOutText, a.heldOutText);
  });

  it('builds facts from the corpus and produces fewer items, with a warning, when the space is small', async () => {
    const { train, heldOut, ctx, result, stats } = await make({ tasks: ['facts/first-letter', 'arithmetic/add'], trainPerTask: 200, heldOutPerTask: 20 }, { corpus: true });
    assert.deepEqual(Object.keys(countBy(heldOut)), ['arithmetic/add', 'facts/first-letter']);
    const words = stats.factTable?.words ?? 0;
    assert.ok(words > 20 && words < 220, `${words} words`);
    assert.equal(countBy(heldOut)['facts/first-letter'], 20);
    assert.equal(countBy(train)['facts/first-letter'], words - 20);
    assert.equal(countBy(train)['arithmetic/add'], 200);
    assert.equal(result.metrics.shortTasks, 1);
    const warning = `warn: facts/first-letter: only ${words} distinct items at difficulty medium: 20/20 held-out, ${words - 20}/200 train`;
    assert.ok(ctx.logLines.includes(warning), ctx.logLines.join('\n'));
    for (const record of heldOut.filter((r) => r.task === 'facts/first-letter')) {
      const word = /'([a-z]+)'/.exec(record.instruction)?.[1] ?? '';
      assert.ok(CORPUS.some((line) => line.toLowerCase().includes(word)), word);
    }
  });

  it('keeps held-out items fixed when only trainPerTask changes', async () => {
    const a = await make({ tasks: ['strings'], trainPerTask: 10, heldOutPerTask: 15 });
    const b = await make({ tasks: ['strings'], trainPerTask: 50, heldOutPerTask: 15 });
    assert.equal(b.heldOutText, a.heldOutText);
  });

  it('draws RL prompts last: in neither train nor held-out, and train and held-out unchanged by them', async () => {
    const a = await make({ tasks: ['strings', 'lists/max'], trainPerTask: 20, heldOutPerTask: 10 });
    const b = await make({ tasks: ['strings', 'lists/max'], trainPerTask: 20, heldOutPerTask: 10, promptsPerTask: 15 });
    assert.equal(a.prompts.length, 0);
    assert.equal(b.trainText, a.trainText);
    assert.equal(b.heldOutText, a.heldOutText);
    assert.deepEqual(Object.values(countBy(b.prompts)), Object.values(countBy(b.heldOut)).map(() => 15));
    const key = (r: InstructionRecord) => `${r.task}\n${r.instruction}\n${r.input ?? ''}`;
    const seen = new Set([...b.train, ...b.heldOut].map(key));
    assert.equal(b.prompts.filter((r) => seen.has(key(r))).length, 0);
    assert.equal(b.stats.prompts, b.prompts.length);
  });

  it('requires a corpus when facts are asked for by name, and names unknown tasks', async () => {
    await assert.rejects(make({ tasks: ['facts'] }), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.code, 'RECIPE_INVALID');
      assert.match(error.message, /need a `corpus` input/);
      return true;
    });
    await assert.rejects(make({ tasks: ['list'] }), (error: unknown) => {
      assert.ok(error instanceof PipelineError);
      assert.equal(error.message, 'unknown task `list`');
      assert.equal(error.hint, 'did you mean `lists`?');
      return true;
    });
  });

  it('writes worked solutions as the response with `worked`, and the same items without it', async () => {
    const plain = await make({ tasks: ['reasoning', 'lists/max'], trainPerTask: 20, heldOutPerTask: 5, difficulty: 'easy' });
    const worked = await make({ tasks: ['reasoning', 'lists/max'], trainPerTask: 20, heldOutPerTask: 5, difficulty: 'easy', worked: true });
    assert.deepEqual(Object.keys(countBy(worked.heldOut)), ['lists/max', 'reasoning/add', 'reasoning/sub', 'reasoning/count-letter', 'reasoning/word-problem', 'reasoning/countdown']); // canonical order
    assert.deepEqual(worked.train.map(itemKey), plain.train.map(itemKey));
    for (const [i, record] of worked.train.entries()) {
      const reasoning = record.task.startsWith('reasoning/');
      assert.equal(plain.train[i]!.output, markAnswer(record.answer));
      assert.equal(record.output === markAnswer(record.answer), !reasoning, record.output);
      if (reasoning) assert.ok(record.output.includes('\n') && record.output.endsWith(`\n${markAnswer(record.answer)}`), record.output);
      assert.deepEqual(record.messages[1], { role: 'assistant', content: record.output });
      assert.equal(verifyAnswer(taskItemFromRecord(record), record.output).correct, true);
    }
  });

  it('rejects unknown parameters through its schema', async () => {
    await assert.rejects(make({ trainPerTasks: 3 }), /invalid params/);
  });
});
