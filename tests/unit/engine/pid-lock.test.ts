// Locks that cannot strand anyone: a lock file never completed (empty, half-written), a dead holder
// or a holder whose pid was reused is taken over at once; a live holder is named while we wait;
// waiting stops on abort; the lock goes however its holder ends, process.exit() included.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { acquireLock, withLock } from '../../../engine/cache/pid-lock.ts';
import { currentOwner, HOST, processStart } from '../../../engine/process-owner.ts';
import { REPO_ROOT } from '../../helpers/project.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const within = <T>(ms: number, promise: Promise<T>): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms).unref())]);

async function lockFile(contents?: string): Promise<string> {
  const file = path.join(await tempDir('tempa-lock-'), 'x.lock');
  if (contents !== undefined) await writeFile(file, contents);
  return file;
}

describe('pid lock', () => {
  for (const [what, contents] of [['empty', ''], ['half-written', '{"pid": 12'], ['not a holder', '[]']] as const) {
    it(`takes over a lock file that is ${what} at once`, async () => {
      const file = await lockFile(contents);
      const release = await within(2_000, acquireLock(file, { pollMs: 20 }));
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
      await release();
      assert.equal(existsSync(file), false);
    });
  }

  it('takes over the lock of a dead holder, and of a live pid that is not the process that locked', async () => {
    const dead = spawnSync('true').pid;
    for (const holder of [{ pid: dead, host: HOST, since: 'then' }, { ...currentOwner(), started: 'not-my-start-time', since: 'then' }]) {
      const file = await lockFile(JSON.stringify(holder));
      if (holder.pid === process.pid && processStart(process.pid) === undefined) continue; // no /proc: pid reuse is undetectable
      const release = await within(2_000, acquireLock(file, { pollMs: 20 }));
      await release();
    }
  });

  it('says who holds the lock and for what, and stops waiting when aborted', async () => {
    const file = await lockFile();
    const release = await acquireLock(file, { purpose: 'stage train of r.yaml' });
    const said: string[] = [];
    const abort = new AbortController();
    const waiting = acquireLock(file, { signal: abort.signal, pollMs: 10_000, onWait: (h) => said.push(h) });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(said.length, 1);
    assert.match(said[0]!, new RegExp(`^pid ${process.pid} on .+ \\(stage train of r\\.yaml\\), since `));
    abort.abort(new Error('interrupted'));
    await assert.rejects(within(1_000, waiting), /interrupted/);
    await release();
  });

  it("releases on a throw, keeping fn's own error, and never leaves temp files", async () => {
    const file = await lockFile();
    await assert.rejects(withLock(file, async () => Promise.reject(new Error('the stage broke'))), /the stage broke/);
    assert.deepEqual(readdirSync(path.dirname(file)), []);
  });

  it('releases when the holder calls process.exit() inside the lock', async () => {
    const file = await lockFile();
    const script = `import { withLock } from ${JSON.stringify(path.join(REPO_ROOT, 'engine/cache/pid-lock.ts'))};
await withLock(${JSON.stringify(file)}, async () => { process.stdout.write('held'); process.exit(3); });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(out, 'held');
    assert.equal(code, 3);
    assert.equal(existsSync(file), false);
  });

  it('gives the lock to one holder at a time when many wait on a stale lock', async () => {
    const file = await lockFile('');
    let inside = 0;
    let most = 0;
    await within(
      10_000,
      Promise.all(
        Array.from({ length: 8 }, () =>
          withLock(
            file,
            async () => {
              most = Math.max(most, ++inside);
              await new Promise((r) => setTimeout(r, 5));
              inside--;
            },
            { pollMs: 5 },
          ),
        ),
      ),
    );
    assert.equal(most, 1);
  });
});
