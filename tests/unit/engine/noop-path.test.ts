// What a no-op rerun skips, and why each skip is safe: a cached result is found without its key's lock
// unless someone (a gc) holds it, the keys are pinned in one write, and an unchanged lock file is read
// from a JSON memo keyed by its text, never from a stale one.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { acquireLock } from '../../../engine/cache/pid-lock.ts';
import { readPins, RunPins } from '../../../engine/cache/pins.ts';
import { Store } from '../../../engine/cache/store.ts';
import { readLock, updateLock, type LockEntry } from '../../../engine/lockfile.ts';
import { makeProject, runPipeline } from '../../helpers/project.ts';

const RECIPE = `stages:
  make:
    uses: exec
    with: { command: 'echo made > "$TEMPA_OUT/o.txt"', outputs: { o: o.txt } }
  use:
    uses: exec
    inputs: { o: make.o }
    with: { command: 'cat "$TEMPA_INPUT_O" > "$TEMPA_OUT/u.txt"', outputs: { u: u.txt } }
`;

async function cachedProject(): Promise<{ file: string; store: Store; keys: Record<string, string> }> {
  const dir = await makeProject({ 'recipe.yaml': RECIPE });
  const file = path.join(dir, 'recipe.yaml');
  const first = await runPipeline(file);
  assert.deepEqual(first.ran, ['make', 'use']);
  const keys = Object.fromEntries(first.outcomes.map((o) => [o.name, o.key!]));
  return { file, store: new Store(path.join(dir, '.tempa')), keys };
}

describe('Store.lookupUnlocked', () => {
  it('finds a complete result, and nothing while the key is locked, missing or damaged, which it leaves to a locked look', async () => {
    const { store, keys } = await cachedProject();
    assert.equal((await store.lookupUnlocked(keys.make!))?.key, keys.make);

    const release = await store.withKeyLock(keys.make!, {}, async () => store.lookupUnlocked(keys.make!));
    assert.equal(release, undefined, 'a held lock may be a gc deleting the result');

    const out = path.join(store.outDir(keys.use!), 'u.txt');
    await rm(out, { force: true });
    assert.equal(await store.lookupUnlocked(keys.use!), undefined);
    assert.ok(existsSync(store.entryDir(keys.use!)), 'a damaged entry is not deleted without the lock');
    assert.match((await store.lookup(keys.use!, () => undefined)).corrupt ?? '', /u\.txt is missing/);
    assert.equal(existsSync(store.entryDir(keys.use!)), false, 'the locked look deletes it');
    assert.equal(await store.lookupUnlocked('0'.repeat(64)), undefined);
  });

  it('a gc holding the lock while the run looks makes the run wait and recompute what it deleted', async () => {
    const { file, store, keys } = await cachedProject();
    // What gc does (removeUnlessPinned): under the key's lock, read the pins (the run has not written its yet), delete.
    const release = await acquireLock(path.join(store.root, 'locks', `${keys.make}.lock`));
    const run = runPipeline(file);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await rm(store.entryDir(keys.make!), { recursive: true, force: true });
    await release();
    const rerun = await run;
    assert.deepEqual(rerun.ran, ['make'], 'the deleted result is recomputed, never reported cached');
    assert.deepEqual(rerun.cached, ['use']);
  });

  it('a cached rerun leaves no key lock and no pin file behind', async () => {
    const { file, store } = await cachedProject();
    const again = await runPipeline(file);
    assert.deepEqual(again.cached, ['make', 'use']);
    assert.deepEqual(await readdir(path.join(store.root, 'locks')).catch(() => []), []);
    assert.deepEqual(await readdir(path.join(store.root, 'live')), []);
  });
});

describe('RunPins', () => {
  it('pins every key it was given before it resolves, added together or one by one', async () => {
    const dir = await makeProject({});
    const pins = new RunPins(dir);
    const many = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await pins.add(...many);
    assert.deepEqual([...(await readPins(dir))].sort(), [...many].sort());
    const late = ['x', 'y', 'z'].map((key) => pins.add(key));
    await late[0];
    assert.ok((await readPins(dir)).has('x'), 'the first add resolves only once its key is on disk');
    await Promise.all(late);
    assert.equal((await readPins(dir)).size, 23);
    await pins.add('x');
    await pins.close();
    assert.equal((await readPins(dir)).size, 0);
  });
});

describe('readLock with a memo', () => {
  const entry = (key: string): LockEntry => ({ key, uses: 'exec', manifest: { schema: 's', plugin: { name: 'exec', version: 1, code: 'c' }, params: { at: '2024-01-01', n: '1e3' }, inputs: {}, seed: 1 }, outputs: { o: 'h' } });

  it('reads the same data as without it, and a changed lock anew, whatever the memo says', async () => {
    const dir = await makeProject({});
    const lock = path.join(dir, 'r.lock');
    const memoDir = path.join(dir, 'memo');
    await updateLock(lock, 'r', { a: entry('k1') }, ['a']);
    const plain = await readLock(lock);
    assert.deepEqual(await readLock(lock, memoDir), plain, 'parsed, then memoised');
    const [memo] = await readdir(memoDir);
    assert.deepEqual(await readLock(lock, memoDir), plain, 'from the memo');

    await updateLock(lock, 'r', { a: entry('k2') }, ['a']);
    assert.equal((await readLock(lock, memoDir))?.stages.a?.key, 'k2', 'new text: parsed again, the memo is not trusted');

    const text = await readFile(path.join(memoDir, memo!), 'utf8');
    await writeFile(path.join(memoDir, memo!), text.replace('"k2"', '"forged"'));
    assert.equal((await readLock(lock, memoDir))?.stages.a?.key, 'forged', 'the memo is what a matching digest serves');
    await updateLock(lock, 'r', { a: entry('k3') }, ['a']);
    assert.equal((await readLock(lock, memoDir))?.stages.a?.key, 'k3');

    await writeFile(path.join(memoDir, memo!), '{"dig');
    assert.equal((await readLock(lock, memoDir))?.stages.a?.key, 'k3', 'a torn memo only costs a parse');
  });
});
