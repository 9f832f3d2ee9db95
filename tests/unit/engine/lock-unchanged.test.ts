// A no-op rerun leaves the lock file alone (lockUnchanged): only a lock that would be written back
// exactly as it is may be skipped; any other difference still rewrites it. A rerun of a stage whose output
// records the run keeps the lock's hash of it (keepRecordedRun).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { keepRecordedRun, lockUnchanged, readLock, updateLock, type LockEntry, type LockFile } from '../../../engine/lockfile.ts';
import { makeProject, runPipeline } from '../../helpers/project.ts';

const entry = (key: string): LockEntry => ({
  key,
  uses: 'exec',
  manifest: { schema: 's', plugin: { name: 'exec', version: 1, code: 'c' }, params: { lr: 0.1 }, inputs: {}, seed: 1 },
  outputs: { out: 'o1' },
  info: undefined,
});
const lock = (stages: Record<string, LockEntry>, recipe = 'r'): LockFile => ({ version: 1, recipe, stages: JSON.parse(JSON.stringify(stages)) as Record<string, LockEntry> });

describe('lockUnchanged', () => {
  it('holds for the same entries in the same order, undefined fields being absent ones', () => {
    assert.equal(lockUnchanged(lock({ a: entry('k1'), b: entry('k2') }), 'r', { a: entry('k1'), b: entry('k2') }, ['a', 'b']), true);
    assert.equal(lockUnchanged(lock({ a: entry('k1'), b: entry('k2') }), 'r', { b: entry('k2') }, ['a', 'b']), true, 'a stage with no new entry keeps its old one');
  });

  it('fails on a new key, another order, a dropped or added stage, another recipe, or no lock', () => {
    const before = lock({ a: entry('k1'), b: entry('k2') });
    assert.equal(lockUnchanged(before, 'r', { a: entry('k1'), b: entry('k3') }, ['a', 'b']), false);
    assert.equal(lockUnchanged(before, 'r', { a: entry('k1'), b: entry('k2') }, ['b', 'a']), false);
    assert.equal(lockUnchanged(before, 'r', { a: entry('k1') }, ['a']), false);
    assert.equal(lockUnchanged(before, 'r', { a: entry('k1'), b: entry('k2'), c: entry('k4') }, ['a', 'b', 'c']), false);
    assert.equal(lockUnchanged(before, 'other', { a: entry('k1'), b: entry('k2') }, ['a', 'b']), false);
    assert.equal(lockUnchanged(undefined, 'r', { a: entry('k1') }, ['a']), false);
  });

  it('a cached rerun does not rewrite the lock; a changed stage does', async () => {
    const dir = await makeProject({ 'recipe.yaml': 'stages:\n  a:\n    uses: exec\n    with: { command: \'echo hi > "$TEMPA_OUT/o.txt"\', outputs: { o: o.txt } }\n' });
    const recipe = path.join(dir, 'recipe.yaml');
    const lockFile = path.join(dir, 'recipe.lock');
    assert.deepEqual((await runPipeline(recipe)).ran, ['a']);
    const past = new Date(Date.now() - 60_000);
    await utimes(lockFile, past, past);
    const written = (await stat(lockFile)).mtimeMs;
    assert.deepEqual((await runPipeline(recipe)).cached, ['a']);
    assert.equal((await stat(lockFile)).mtimeMs, written, 'lock untouched by a no-op rerun');

    await writeFile(recipe, (await readFile(recipe, 'utf8')).replace('echo hi', 'echo ho'));
    assert.deepEqual((await runPipeline(recipe)).ran, ['a']);
    assert.notEqual((await stat(lockFile)).mtimeMs, written);
  });
});

describe('updateLock', () => {
  it('writes stages that share one info object in full, without YAML anchors and aliases', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tempa-lock-'));
    try {
      const info = { backend: 'native', threads: '2' };
      const file = path.join(dir, 'r.lock');
      await updateLock(file, 'r', { a: { ...entry('k1'), info }, b: { ...entry('k2'), info } }, ['a', 'b']);
      const text = await readFile(file, 'utf8');
      assert.doesNotMatch(text, /[&*]a\d/);
      assert.equal(text.match(/backend: native/g)?.length, 2);
      assert.deepEqual((await readLock(file))?.stages.b?.info, info);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('readLock', () => {
  it('reads every committed lock exactly as `yaml` does (it takes js-yaml first, for speed)', async () => {
    const locks = ['quickstart', 'preference', 'reasoning'].map((name) => path.join(import.meta.dirname, '../../../recipes', `${name}.lock`));
    for (const file of locks) assert.deepEqual(await readLock(file), parse(await readFile(file, 'utf8')), file);
  });

  it('reads back what updateLock wrote, values that look like dates, numbers or nulls included', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tempa-lock-'));
    try {
      const file = path.join(dir, 'r.lock');
      const info = { date: '2026-11-30', under: '1_000', octal: '0o17', tilde: '~', yes: 'yes', empty: '' };
      await updateLock(file, 'r', { a: { ...entry('k1'), info } }, ['a']);
      assert.deepEqual((await readLock(file))?.stages.a?.info, info);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('keepRecordedRun', () => {
  const report = (key: string, html: string): LockEntry => ({ ...entry(key), outputs: { html, data: 'd1' }, files: { html: { 'report.html': html }, data: { 'd.json': 'd1' } }, recordsTheRun: ['html'] });

  it("keeps the lock's hash of an output that records the run when the key is the same, so a rerun leaves the lock as committed", () => {
    const previous = report('k1', 'h-committed');
    const kept = keepRecordedRun(report('k1', 'h-this-run'), previous);
    assert.equal(kept.outputs.html, 'h-committed');
    assert.deepEqual(kept.files?.html, { 'report.html': 'h-committed' });
    assert.equal(lockUnchanged(lock({ r: previous }), 'r', { r: kept }, ['r']), true);
  });

  it('takes the new hashes for a new key, and never touches outputs that do not record the run', () => {
    assert.equal(keepRecordedRun(report('k2', 'h-new'), report('k1', 'h-old')).outputs.html, 'h-new');
    const changedData = { ...report('k1', 'h-new'), outputs: { html: 'h-new', data: 'd2' } };
    assert.equal(keepRecordedRun(changedData, report('k1', 'h-old')).outputs.data, 'd2');
    const plain = entry('k1');
    assert.equal(keepRecordedRun(plain, { ...plain, outputs: { out: 'other' } }), plain);
  });
});
