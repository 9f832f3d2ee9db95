// make-preferences reads labels as `tempa label` writes them: undo rows withdraw a choice, a repeated
// submit id counts once, the page's extra fields (rationale, time, order) are accepted, and a bad row
// stops with file:line or is skipped.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readLabels } from '../../../../stages/make-preferences/labels.ts';
import { tempDir } from '../../../helpers/temp-dir.ts';

async function labelsFile(rows: readonly unknown[]): Promise<string> {
  const file = path.join(await tempDir('tempa-labels-'), 'labels.jsonl');
  await writeFile(file, rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return file;
}

const read = (file: string, onMalformed: 'error' | 'skip' = 'error') => readLabels([file], { onMalformed, displayName: (f) => path.basename(f) });
const page = { rationale: '', time: '2026-11-30T12:00:00.000Z', order: ['b', 'a'] };

describe('make-preferences labels reader', () => {
  it('folds rows as the page writes them: undo withdraws, a repeated submit id counts once', async () => {
    const file = await labelsFile([
      { pairId: 'p1', choice: 'a', labeller: 'x', ...page, submitId: 's1' },
      { pairId: 'p1', choice: 'a', labeller: 'x', ...page, submitId: 's1' },
      { pairId: 'p1', choice: 'b', labeller: 'y', ...page, submitId: 's2' },
      { pairId: 'p2', choice: 'tie', labeller: 'x', ...page, submitId: 's3' },
      { pairId: 'p2', undo: true, labeller: 'x', time: page.time, submitId: 's4' },
      { pairId: 'p3', choice: 'both-bad' },
    ]);
    assert.deepEqual([...(await read(file))], [
      ['p1', ['a', 'b']],
      ['p3', ['both-bad']],
    ]);
  });

  it('stops at a bad row with file:line, or skips it', async () => {
    const file = await labelsFile([{ pairId: 'p1', choice: 'a' }, { pairId: 'p2', undo: true, choice: 'a' }, '{"pairId": "p3", "choice": "b", "order": "ba"}']);
    await assert.rejects(read(file), { code: 'DATA_INVALID', message: 'labels.jsonl:2: an undo row has no `choice`' });
    assert.deepEqual([...(await read(file, 'skip'))], [['p1', ['a']]]);
  });
});
