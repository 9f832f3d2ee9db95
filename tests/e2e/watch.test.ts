// `tempa run --watch`: an edit to a dataset reruns what became stale; a bad recipe edit prints the
// error and keeps watching; fixing it resumes.
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeProject, startTempa, waitFor } from '../helpers/project.ts';

const RECIPE = `datasets:
  notes: notes.txt
stages:
  count:
    uses: exec
    inputs: { src: notes }
    with:
      command: wc -l < "$TEMPA_INPUT_SRC" > "$TEMPA_OUT/n.txt"
      outputs: { n: n.txt }
  other:
    uses: exec
    with: { command: "true" }
`;

describe('watch mode', () => {
  it('reruns stale stages on change and survives a broken recipe', async () => {
    const dir = await makeProject({ 'notes.txt': 'a\n', 'recipe.yaml': RECIPE });
    const { child, done } = startTempa(['run', 'recipe.yaml', '--watch'], dir);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const seen = (pattern: RegExp, what: string) => waitFor(() => pattern.test(output), 20_000, what);
    try {
      await seen(/2 ran, 0 cached[\s\S]*\[watch\] watching for changes/, 'the first run');
      output = '';
      await appendFile(path.join(dir, 'notes.txt'), 'b\n');
      await seen(/1 ran, 1 cached[\s\S]*\[watch\] watching for changes/, 'the rerun after a dataset edit');
      assert.match(output, /\[watch\] change detected: notes\.txt/);
      assert.match(output, /▶ count: running \(input src changed: notes\.txt modified\)/);
      assert.match(output, /↷ other: cached/);

      output = '';
      await writeFile(path.join(dir, 'recipe.yaml'), RECIPE.replace('uses: exec\n    with: { command: "true" }', 'uses: exce\n    with: { command: "true" }'));
      await seen(/watching for changes \(fix the recipe to continue\)/, 'the error report');
      assert.match(output, /recipe\.yaml:11:11: error STAGE_UNKNOWN: stages\.other\.uses: unknown stage plugin `exce`/);

      output = '';
      await writeFile(path.join(dir, 'recipe.yaml'), RECIPE);
      await seen(/0 ran, 2 cached[\s\S]*\[watch\] watching for changes/, 'the run after the fix');
    } finally {
      child.kill('SIGINT');
    }
    const result = await done;
    assert.equal(result.code, 0);
    assert.equal((await readFile(path.join(dir, 'notes.txt'), 'utf8')).split('\n').length, 3);
  });
});
