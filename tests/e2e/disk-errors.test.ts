// A store that refuses writes (a full disk, a path that cannot be created) fails the stage with
// the path and a hint, exit 1, commits nothing and prints no stack trace. The full disk is
// /dev/full in place of the stage's log, which needs no root and refuses every write with ENOSPC.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeProject, tempa } from '../helpers/project.ts';

const RECIPE = `stages:
  loud:
    uses: exec
    with:
      command: for i in $(seq 1 2000); do echo "line $i"; done; echo ok > "$TEMPA_OUT/o.txt"
      outputs: { o: o.txt }
`;

async function stageKey(dir: string): Promise<string> {
  const status = await tempa(['status', 'recipe.yaml', '--json'], dir);
  return (JSON.parse(status.stdout) as { key: string }[])[0]!.key;
}

describe('disk errors', () => {
  it('a log write refused for lack of space is a stage error naming the log, and nothing is committed', async () => {
    const dir = await makeProject({ 'recipe.yaml': RECIPE });
    const key = await stageKey(dir);
    await mkdir(path.join(dir, '.tempa', 'logs'), { recursive: true });
    await symlink('/dev/full', path.join(dir, '.tempa', 'logs', `${key}.log`));
    const result = await tempa(['run', 'recipe.yaml'], dir);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /error STAGE_FAILED\/IO_FAILED: \[stage loud\] cannot write log file \S+\.log: no space left on device \(ENOSPC\)\n  hint: free space on the disk/);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
    assert.equal(existsSync(path.join(dir, '.tempa', 'runs')), false);
  });

  it('a lock folder that cannot be created fails the stage with its path, not an internal error', async () => {
    const dir = await makeProject({ 'recipe.yaml': RECIPE });
    await mkdir(path.join(dir, '.tempa'), { recursive: true });
    await writeFile(path.join(dir, '.tempa', 'locks'), 'not a folder');
    const result = await tempa(['run', 'recipe.yaml'], dir);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /error STAGE_FAILED\/IO_FAILED: \[stage loud\] cannot create folder \S+\/\.tempa\/locks: /);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
  });
});
