// kill -9 of tempa during an exec stage leaves none of the stage's processes running: they would
// otherwise keep writing into the checkpoint folder that the rerun resumes from.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { groupAlive } from '../helpers/process-groups.ts';
import { makeProject, startTempa, waitFor } from '../helpers/project.ts';

const RECIPE = `stages:
  busy:
    uses: exec
    with:
      command: |
        echo $$ > ../group
        (while true; do echo tick >> "$TEMPA_CHECKPOINT_DIR/ticks"; sleep 0.05; done) &
        sleep 300
`;


describe('children of a killed run', () => {
  for (const target of ['tempa alone', "tempa's whole process group"]) {
    it(`all die when ${target} is killed with SIGKILL`, async () => {
      const dir = await makeProject({ 'p/recipe.yaml': RECIPE });
      const { child, done } = startTempa(['run', 'recipe.yaml'], path.join(dir, 'p'));
      await waitFor(() => existsSync(path.join(dir, 'group')) && readFileSync(path.join(dir, 'group'), 'utf8').endsWith('\n'), 20_000, 'the stage to start');
      const pgid = Number(readFileSync(path.join(dir, 'group'), 'utf8'));
      assert.ok(groupAlive(pgid));
      process.kill(target === 'tempa alone' ? child.pid! : -child.pid!, 'SIGKILL');
      await done;
      try {
        const members = () => execFileSync('ps', ['-eo', 'pid,pgid,ppid,stat,cmd'], { encoding: 'utf8' }).split('\n').filter((l) => l.trim().split(/\s+/)[1] === String(pgid) || /tempa-watchdog/.test(l)).join('\n');
        await waitFor(() => !groupAlive(pgid), 10_000, "the stage's processes to die").catch((error: Error) => {
          throw new Error(`${error.message}; still running:\n${members()}`);
        }); // a watchdog's moment, on a loaded machine
      } finally {
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
      }
    });
  }
});
