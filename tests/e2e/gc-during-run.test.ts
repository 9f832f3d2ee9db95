// `tempa gc` while a run is under way keeps that run's fresh results, the result it is about to
// read and the log of the stage still running, although no lock file names them yet.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeProject, startTempa, tempa, waitFor } from '../helpers/project.ts';

const RECIPE = `stages:
  first:
    uses: exec
    with:
      command: echo fresh > "$TEMPA_OUT/o.txt"
      outputs: { o: o.txt }
  second:
    uses: exec
    inputs: { o: first.o }
    with:
      command: |
        echo started >&2
        touch ../second-started
        while [ ! -f ../go ]; do sleep 0.05; done
        cat "$TEMPA_INPUT_O" > "$TEMPA_OUT/copy.txt"
      outputs: { copy: copy.txt }
`;

describe('gc during a run', () => {
  it("keeps the run's fresh results and the running stage's log; the run succeeds", async () => {
    const dir = await makeProject({ 'p/recipe.yaml': RECIPE, 'p/other.yaml': 'stages:\n  x:\n    uses: exec\n    with: { command: "true" }\n' });
    const project = path.join(dir, 'p');
    assert.equal((await tempa(['run', 'other.yaml'], project)).code, 0); // a registered lock file that names none of them
    const run = startTempa(['run', 'recipe.yaml'], project);
    try {
      await waitFor(() => existsSync(path.join(dir, 'second-started')), 20_000, 'the second stage to start');
      const gc = await tempa(['gc', 'recipe.yaml', '--checkpoints'], project);
      assert.equal(gc.code, 0, gc.stderr);
      assert.match(gc.stdout, /removed 0 results/);
      assert.equal(readdirSync(path.join(project, '.tempa', 'logs')).length, 1, "the running stage's log is kept");
    } finally {
      await writeFile(path.join(dir, 'go'), ''); // let the stage end even when an assertion failed
    }
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /✔ second: ran/);
    const again = await tempa(['run', 'recipe.yaml'], project);
    assert.match(again.stdout, /2 cached/);
  });
});
