// Preference pairs and human labels from JSONL: both TRL formats read alike, and a bad row fails at
// file:line saying what is wrong (or is skipped and counted).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readLabels } from '../../../../stages/make-preferences/labels.ts';
import { readPairs } from '../../../../stages/shared/preference/read-pairs.ts';
import { tempDir } from '../../../helpers/temp-dir.ts';

const displayName = (f: string) => path.basename(f);

describe('reading preference pairs and labels', () => {
  it('reads conversational and standard pairs alike, and names the file and line of a bad row', async () => {
    const file = path.join(await tempDir('pairs-'), 'pairs.jsonl');
    const rows = [
      { id: 'p1', prompt: [{ role: 'user', content: 'hi?' }], chosen: [{ role: 'assistant', content: 'Answer: 1' }], rejected: [{ role: 'assistant', content: 'Answer: 2' }] },
      { prompt: 'hi?', chosen: 'Answer: 1', rejected: 'Answer: 3' },
      { prompt: 'hi?', chosen: [{ role: 'user', content: 'not an answer' }], rejected: 'x' },
    ];
    await writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n\n');
    const skipped = await readPairs([file], { onMalformed: 'skip', displayName });
    assert.deepEqual(skipped.pairs, [
      { id: 'p1', prompt: [{ role: 'user', content: 'hi?' }], chosen: 'Answer: 1', rejected: 'Answer: 2' },
      { id: 'pairs.jsonl:2', prompt: [{ role: 'user', content: 'hi?' }], chosen: 'Answer: 1', rejected: 'Answer: 3' },
    ]);
    assert.equal(skipped.skipped, 1);
    await assert.rejects(readPairs([file], { onMalformed: 'error', displayName }), { message: 'pairs.jsonl:3: `chosen` and `rejected` must each be a string or a list of assistant messages' });
  });

  it("labels: each labeller's last choice per pair; a bad choice names file and line", async () => {
    const file = path.join(await tempDir('labels-'), 'labels.jsonl');
    await writeFile(file, [
      { pairId: 'p1', choice: 'a', labeller: 'ann' },
      { pairId: 'p1', choice: 'b', labeller: 'ben' },
      { pairId: 'p1', choice: 'tie', labeller: 'ann' },
      { pairId: 'p2', choice: 'maybe' },
    ].map((r) => JSON.stringify(r)).join('\n'));
    const labels = await readLabels([file], { onMalformed: 'skip', displayName });
    assert.deepEqual([...labels], [['p1', ['tie', 'b']]]);
    await assert.rejects(readLabels([file], { onMalformed: 'error', displayName }), { message: 'labels.jsonl:4: `choice` must be one of a, b, tie, both-bad, got "maybe"' });
  });
});
