// self-instruct: parsing what a writer model wrote, n-gram overlap, and the stage on a tiny model:
// every candidate is either kept or rejected for one counted reason, rows carry provenance, reruns are
// identical, and the verifier and overlap filters do what they say.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import selfInstruct, { type SelfInstructRow } from '../../../stages/self-instruct/index.ts';
import { fewShotPrompt, parseContinuation, parseUserTurn } from '../../../stages/self-instruct/few-shot.ts';
import { NgramIndex, ngrams } from '../../../stages/self-instruct/ngram-index.ts';
import { inputFrom, makeStageContext, runStage, type TestStageContext } from '../../helpers/stage-context.ts';
import { tinyInstructSetup, type TinyInstruct } from '../../helpers/tiny-instruct.ts';

describe('self-instruct prompts', () => {
  it('lays out demos as a plain-text list that ends where the model writes', () => {
    assert.equal(
      fewShotPrompt([{ instruction: 'What is 2 + 3?' }, { instruction: 'Reverse the following text.', input: 'sea' }]),
      'Instruction: What is 2 + 3?\n\nInstruction: Reverse the following text.\nInput: sea\n\nInstruction:',
    );
  });

  it('reads the first task a model wrote, with or without input', () => {
    assert.deepEqual(parseContinuation(' What is 4 + 4?\n\nInstruction: more'), { instruction: 'What is 4 + 4?' });
    assert.deepEqual(parseContinuation(' Sort the list.\nInput: [3, 1]\nInstruction: next'), { instruction: 'Sort the list.', input: '[3, 1]' });
    assert.deepEqual(parseContinuation(' Sort the list.\nInput:   \n\n'), { instruction: 'Sort the list.' });
    assert.equal(parseContinuation('  \n\nInstruction: x'), undefined);
    assert.deepEqual(parseUserTurn('Reverse this.\n\nwhale boat'), { instruction: 'Reverse this.', input: 'whale boat' });
    assert.deepEqual(parseUserTurn(' What is 1 + 1? '), { instruction: 'What is 1 + 1?' });
    assert.equal(parseUserTurn(' \n\n'), undefined);
  });
});

describe('n-gram overlap', () => {
  it('splits words and punctuation, lower-cased', () => {
    assert.deepEqual([...ngrams('What is 2+3?', 2)], ['what is', 'is 2', '2 +', '+ 3', '3 ?']);
    assert.deepEqual([...ngrams('Hi', 3)], ['hi']);
  });

  it('gives the highest Jaccard similarity to any indexed text', () => {
    const index = new NgramIndex(1);
    index.add('a b c d');
    index.add('x y');
    assert.equal(index.maxSimilarity('a b c d'), 1);
    assert.equal(index.maxSimilarity('a b e f'), 2 / 6);
    assert.equal(index.maxSimilarity('x z'), 1 / 3);
    assert.equal(index.maxSimilarity('q'), 0);
    assert.equal(index.size, 2);
  });
});

const contexts: TestStageContext[] = [];
after(() => Promise.all(contexts.map((c) => c.dispose())));

async function context(overrides: Partial<TestStageContext> = {}) {
  const ctx = await makeStageContext({ seed: 5, runtime: { backend: 'cpu' }, ...overrides });
  contexts.push(ctx);
  return ctx;
}

let setup: TinyInstruct;

const BASE = { rows: 10, maxCandidates: 24, batch: 8, demos: 2, instructionSampling: { maxTokens: 12 }, responseSampling: { maxTokens: 4 } };

async function run(params: Record<string, unknown>, seeds = setup.trainFile) {
  const ctx = await context();
  ctx.inputs.model = inputFrom([setup.modelDir]);
  ctx.inputs.seeds = inputFrom([seeds]);
  const result = await runStage(selfInstruct, ctx, { ...BASE, ...params });
  const text = await readFile(join(ctx.outDir, 'rows.jsonl'), 'utf8');
  const rows = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as SelfInstructRow);
  const stats = JSON.parse(await readFile(join(ctx.outDir, 'stats.json'), 'utf8')) as { candidates: number; kept: number; unused: number; rejected: Record<string, { count: number }> };
  return { result, rows, stats, text, ctx };
}

describe('self-instruct stage', () => {
  before(async () => {
    setup = await tinyInstructSetup(context, { tasks: ['arithmetic/add', 'lists/max'], difficulty: 'easy', trainPerTask: 20, heldOutPerTask: 2 });
  });

  it('accounts for every candidate and writes rows with provenance', async () => {
    const { result, rows, stats } = await run({ filters: { verify: 'off', minInstructionWords: 1 } });
    const rejected = Object.values(stats.rejected).reduce((n, r) => n + r.count, 0);
    assert.equal(stats.kept + rejected + stats.unused, stats.candidates);
    assert.equal(result.metrics.candidates, stats.candidates);
    assert.equal(rows.length, stats.kept);
    assert.ok(stats.kept > 0, 'an untrained model still writes some text that passes length and overlap filters');
    for (const row of rows) {
      assert.deepEqual(row.messages.map((m) => m.role), ['user', 'assistant']);
      assert.equal(row.messages[1]!.content, row.output);
      assert.equal(row.provenance.method, 'self-instruct');
      assert.equal(row.provenance.model.hash, 'test-hash');
      assert.ok(row.provenance.demos.length >= 1 && row.provenance.demos.every((d) => /^(seed|generated):\d+$/.test(d)));
      assert.ok(row.provenance.similarity < 0.7);
    }
  });

  it('is deterministic for a seed', async () => {
    const params = { filters: { verify: 'off', minInstructionWords: 1 } };
    const [a, b] = [await run(params), await run(params)];
    assert.equal(a.text, b.text);
  });

  it('keeps only verified rows when verification is required, and rejects copies of seeds', async () => {
    // Seeds the writer is made to copy: with maxOverlap 0 even a shared n-gram is a duplicate.
    const { rows, stats } = await run({ filters: { verify: 'required', minInstructionWords: 1, maxOverlap: 0 } });
    assert.equal(rows.length, 0);
    assert.equal(stats.candidates, 24);
    assert.equal(stats.rejected['unverifiable']!.count + stats.rejected['near-duplicate']!.count + stats.rejected['unreadable']!.count, 24);
    assert.ok(stats.rejected['near-duplicate']!.count > 0);
  });

  it('fails clearly when no seed fits the writer’s context', async () => {
    const ctx = await context();
    const seeds = join(ctx.root, 'long.jsonl');
    await writeFile(seeds, `${JSON.stringify({ instruction: 'word '.repeat(80), output: 'x' })}\n`);
    await assert.rejects(run({}, seeds), {
      code: 'DATA_INVALID',
      message: 'none of the 1 seed instructions fits a 64-token context with 12 tokens left to write',
    });
  });
});
