// Leftover process groups of a run that died: ended by the next run (through Store.begin, before it
// reuses the stage's checkpoint folder) when their owner is gone; never a group whose owner lives.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { Store } from '../../../engine/cache/store.ts';
import { endLeftoverGroups } from '../../../engine/child-guard.ts';
import { currentOwner, HOST, processStart } from '../../../engine/process-owner.ts';
import { groupAlive } from '../../helpers/process-groups.ts';
import { tempDir } from '../../helpers/temp-dir.ts';


const started: number[] = [];
afterEach(() => {
  for (const pgid of started.splice(0)) if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
});

/** A process group like a stage's: a shell leading it, with a background child. */
function startGroup(): number {
  const child = spawn('sh', ['-c', 'sleep 300 & sleep 300'], { detached: true, stdio: 'ignore' });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

async function record(dir: string, pgid: number, owner: object): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${pgid}.json`), JSON.stringify({ pid: pgid, started: processStart(pgid), owner }));
}

describe('leftover process groups', () => {
  it('ends the group of a dead owner and keeps the group of a live one', async () => {
    const dir = path.join(await tempDir('tempa-groups-'), 'k');
    const orphan = startGroup();
    const owned = startGroup();
    await record(dir, orphan, { pid: spawnSync('true').pid, host: HOST });
    await record(dir, owned, currentOwner());
    assert.equal(await endLeftoverGroups(dir), 1);
    assert.equal(groupAlive(orphan), false);
    assert.equal(groupAlive(owned), true);
  });

  it('Store.begin ends the leftovers of its key before the stage reuses the checkpoint folder', async () => {
    const store = new Store(await tempDir('tempa-store-'));
    const key = 'a'.repeat(64);
    const orphan = startGroup();
    await record(store.groupDir(key), orphan, { pid: spawnSync('true').pid, host: HOST });
    await store.begin(key);
    assert.equal(groupAlive(orphan), false);
  });
});
