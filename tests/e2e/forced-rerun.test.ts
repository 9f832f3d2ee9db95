// `run --force` of a stage whose result is already in the store: the new result replaces the old one, and
// the lock and the hash memo describe the bytes the store holds. A stage whose output differs from run to
// run (as a report that records its run does) once kept its old files while the memo and the lock took the
// new hashes, so the next check called the result corrupt and deleted it. (The lock is only rewritten with
// `--relock`: other bytes for the same key are reported, never papered over.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sha256 } from '../../engine/cache/canonical.ts';
import { readLock } from '../../engine/lockfile.ts';
import { makeProject, runPipeline, tempa } from '../helpers/project.ts';

const RECIPE = `stages:
  stamp:
    uses: exec
    with:
      command: date +%s%N > "$TEMPA_OUT/stamp.txt"
      outputs: { stamp: stamp.txt }
`;

describe('forced rerun', () => {
  it('replaces the stored result, which status then finds intact (not corrupt); the lock keeps its hashes and says they differ', async () => {
    const dir = await makeProject({ 'recipe.yaml': RECIPE });
    const file = path.join(dir, 'recipe.yaml');
    const first = await runPipeline(file);
    const stored = path.join(first.outcomes[0]!.outDir!, 'stamp.txt');
    const before = readFileSync(stored, 'utf8');
    const forced = await runPipeline(file, { force: true });
    assert.deepEqual(forced.ran, ['stamp']);
    const after = readFileSync(stored, 'utf8');
    assert.notEqual(after, before, 'the forced run\'s output is the one stored');
    const status = await tempa(['status', 'recipe.yaml'], dir);
    assert.match(status.stdout, /stamp\s+cached/, status.stdout + status.stderr);
    // Other bytes for the same key: the lock keeps the first run's hashes and says so (`--relock` takes these).
    assert.deepEqual(forced.lockMismatches.map((d) => d.stage), ['stamp']);
    const lock = await readLock(path.join(dir, 'recipe.lock'));
    assert.equal(lock?.stages.stamp?.files?.stamp?.['stamp.txt'], sha256(before));
  });
});
