// Store locks from the command line: a lock file left empty (a full disk, a kill mid-write) does
// not hang later runs, and a run waiting on a live holder names it and obeys Ctrl-C with exit 130.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeProject, startTempa, waitFor } from '../helpers/project.ts';

const SLOW = `stages:
  slow:
    uses: exec
    with:
      command: touch ../started; sleep 30; echo done > "$TEMPA_OUT/o.txt"
      outputs: { o: o.txt }
`;

describe('store locks', () => {
  it('a lock file that was never written does not hang the next run', async () => {
    const dir = await makeProject({ 'recipe.yaml': 'stages:\n  a:\n    uses: exec\n    with: { command: "true" }\n' });
    await mkdir(path.join(dir, '.tempa'), { recursive: true });
    await writeFile(path.join(dir, '.tempa', 'lockfiles.json.lock'), '');
    await writeFile(path.join(dir, 'recipe.lock.writing'), '{"pid":');
    const { child, done } = startTempa(['run', 'recipe.yaml'], dir);
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 20_000);
    const result = await done;
    clearTimeout(timer);
    assert.equal(result.code, 0, `the run hung or failed: ${result.stderr}`);
    assert.equal(existsSync(path.join(dir, '.tempa', 'lockfiles.json.lock')), false);
  });

  it('a run waiting for another names it, and Ctrl-C ends the wait with exit 130', async () => {
    const dir = await makeProject({ 'p/recipe.yaml': SLOW });
    const project = path.join(dir, 'p');
    const first = startTempa(['run', 'recipe.yaml'], project);
    try {
      await waitFor(() => existsSync(path.join(dir, 'started')), 20_000, 'the first run to start its stage');
      const second = startTempa(['run', 'recipe.yaml'], project);
      let stdout = '';
      second.child.stdout!.on('data', (d) => (stdout += d));
      await waitFor(() => /waiting for/.test(stdout), 20_000, 'the second run to report its wait');
      assert.match(stdout, new RegExp(`waiting for the run that is computing this stage: pid ${first.child.pid} on .+ \\(stage slow of .+recipe\\.yaml\\)`));
      second.child.kill('SIGINT');
      const result = await second.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /\[stage slow\] interrupted/);
      assert.doesNotMatch(result.stderr, /internal error|AbortError/);
    } finally {
      process.kill(-first.child.pid!, 'SIGINT');
      await first.done;
    }
  });
});
