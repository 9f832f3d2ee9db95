// A run killed mid-stage (kill -9 of the whole process group, the worst case) leaves no committed
// artifact; the next run sweeps the leftovers, redoes the stage, and finds the stage's checkpoint
// folder as the killed run left it, so a stage can resume.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeProject, runPipeline, startTempa, tempa, waitFor } from '../helpers/project.ts';

// First attempt: records progress in the checkpoint folder, then hangs until killed.
// Later attempts: see that progress and finish.
const RECIPE = `stages:
  slow:
    uses: exec
    with:
      command: |
        if [ -f "$TEMPA_CHECKPOINT_DIR/progress" ]; then
          echo "resumed from $(cat "$TEMPA_CHECKPOINT_DIR/progress")" > "$TEMPA_OUT/result.txt"
        else
          echo "step 5" > "$TEMPA_CHECKPOINT_DIR/progress"
          echo partial > "$TEMPA_OUT/result.txt"
          touch ../started
          sleep 30
        fi
      outputs: { result: result.txt }
  after:
    uses: exec
    inputs: { r: slow.result }
    with:
      command: cp "$TEMPA_INPUT_R" "$TEMPA_OUT/copy.txt"
      outputs: { copy: copy.txt }
`;

describe('interrupted runs', () => {
  it('a killed run commits nothing and the next run redoes the stage, resuming from its checkpoint', async () => {
    const dir = await makeProject({ 'project/recipe.yaml': RECIPE });
    const project = path.join(dir, 'project');
    const { child, done } = startTempa(['run', 'recipe.yaml'], project);
    await waitFor(() => existsSync(path.join(dir, 'started')), 20_000, 'the stage to start');
    process.kill(-child.pid!, 'SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL');

    const store = path.join(project, '.tempa');
    assert.equal(existsSync(path.join(store, 'runs')), false, 'no result may be committed');
    assert.equal(readdirSync(path.join(store, 'tmp')).length, 1, 'the partial output stays in tmp/');
    assert.equal(existsSync(path.join(project, 'recipe.lock')), false);

    const second = await runPipeline(path.join(project, 'recipe.yaml'));
    assert.deepEqual(second.ran, ['slow', 'after']);
    assert.deepEqual(readdirSync(path.join(store, 'tmp')), [], "the dead run's temp folder is swept");
    const copy = second.outcomes.find((o) => o.name === 'after')!;
    assert.equal(await readFile(path.join(copy.outDir!, 'copy.txt'), 'utf8'), 'resumed from step 5\n');
    assert.deepEqual(readdirSync(path.join(store, 'checkpoints')), [], 'a finished stage drops its checkpoints');
  });

  it('Ctrl-C stops the running stage, exits 130 and commits nothing', async () => {
    const dir = await makeProject({ 'project/recipe.yaml': RECIPE });
    const project = path.join(dir, 'project');
    const { child, done } = startTempa(['run', 'recipe.yaml'], project);
    await waitFor(() => existsSync(path.join(dir, 'started')), 20_000, 'the stage to start');
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /\[stage slow\] interrupted/);
    assert.equal(existsSync(path.join(project, '.tempa', 'runs')), false);
    assert.deepEqual(readdirSync(path.join(project, '.tempa', 'tmp')), []);
    await writeFile(path.join(dir, 'unused'), '');
    const again = await tempa(['run', 'recipe.yaml'], project);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /✔ slow: ran/);
  });
});
