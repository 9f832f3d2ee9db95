// A cached result whose bytes changed after it was committed (a flipped byte, same size) is not
// trusted: it is found by its content hash, reported, deleted and recomputed, so no downstream
// stage reads it. Damage that keeps the mtime (bit rot) is found by `status --verify`.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeProject, runPipeline, tempa } from '../helpers/project.ts';

const recipe = (suffix: string) => `stages:
  make:
    uses: exec
    with:
      command: printf 'the good model' > "$TEMPA_OUT/model.bin"
      outputs: { model: model.bin }
  use:
    uses: exec
    inputs: { model: make.model }
    with:
      command: cp "$TEMPA_INPUT_MODEL" "$TEMPA_OUT/seen.txt"${suffix}
      outputs: { seen: seen.txt }
`;

function flipByte(file: string, keepMtime: boolean): void {
  const before = statSync(file);
  const bytes = readFileSync(file);
  bytes[0] = bytes[0]! ^ 0x20;
  chmodSync(file, 0o644);
  writeFileSync(file, bytes);
  chmodSync(file, 0o444);
  if (keepMtime) utimesSync(file, before.atime, before.mtime);
}

describe('damaged cache entries', () => {
  it('a flipped byte is detected before a downstream stage uses the result, which is recomputed', async () => {
    const dir = await makeProject({ 'recipe.yaml': recipe('') });
    const file = path.join(dir, 'recipe.yaml');
    const first = await runPipeline(file);
    flipByte(path.join(first.outcomes[0]!.outDir!, 'model.bin'), false);
    await writeFile(file, recipe('; true')); // changed, so `use` reruns
    const second = await runPipeline(file);
    assert.deepEqual(second.ran, ['make', 'use']);
    assert.match(second.outcomes[0]!.reasons.join(), /cache entry corrupt: output file out\/model\.bin does not match its recorded content hash/);
    assert.equal(readFileSync(path.join(second.outcomes[1]!.outDir!, 'seen.txt'), 'utf8'), 'the good model');
  });

  it('a byte flipped with the mtime restored is found by `status --verify`, not left "cached"', async () => {
    const dir = await makeProject({ 'recipe.yaml': recipe('') });
    const first = await runPipeline(path.join(dir, 'recipe.yaml'));
    await tempa(['status', 'recipe.yaml'], dir); // the memo now holds every committed file
    flipByte(path.join(first.outcomes[0]!.outDir!, 'model.bin'), true);
    const status = await tempa(['status', 'recipe.yaml', '--verify'], dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /make\s+stale: cache entry corrupt: output file out\/model\.bin does not match its recorded content hash/);
    const again = await runPipeline(path.join(dir, 'recipe.yaml'));
    assert.deepEqual(again.ran, ['make']);
    assert.deepEqual(again.cached, ['use']);
  });
});
