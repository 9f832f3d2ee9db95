// `tempa verify` reproduces a lock or names the first stage that does not, with the file and the likely
// cause; `status` and `run` report (and never rewrite) a lock whose hashes the store disagrees with.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { LockFile } from '../../engine/lockfile.ts';
import { makeProject, tempa } from '../helpers/project.ts';

// Its bytes depend on the backend, which is not part of the key: as a model's weights do.
const TRAIN_PLUGIN = `export default {
  name: 'fake-train', version: 1, description: 'weights that depend on the backend',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  inputs: () => ({ data: { kind: 'file' } }),
  outputs: () => ({ model: { kind: 'dir' } }),
  async run(ctx) {
    const { mkdir, readFile, writeFile } = await import('node:fs/promises');
    const backend = String(ctx.runtime.backend ?? 'auto');
    await mkdir(ctx.outDir + '/model');
    await writeFile(ctx.outDir + '/model/config.json', '{"nLayer": 1}');
    await writeFile(ctx.outDir + '/model/weights.bin', 'weights on ' + backend + ' of ' + (await readFile(ctx.inputs.data.files[0], 'utf8')));
    return { metrics: {}, artifacts: { model: 'model' }, info: { backend } };
  },
};
`;

const RECIPE = `runtime: { backend: cpu }
datasets: { text: data.txt }
stages:
  prep:
    uses: exec
    inputs: { text: text }
    with:
      command: cp "$TEMPA_INPUT_TEXT" "$TEMPA_OUT/clean.txt"
      outputs: { clean: clean.txt }
  train:
    uses: ./plugins/train.mjs
    inputs: { data: prep.clean }
  use:
    uses: exec
    inputs: { model: train.model }
    with:
      command: cat "$TEMPA_INPUT_MODEL/weights.bin" > "$TEMPA_OUT/said.txt"
      outputs: { said: said.txt }
`;

async function project(): Promise<{ dir: string; lockFile: string; lock: () => LockFile }> {
  const dir = await makeProject({ 'data.txt': 'call me ishmael', 'plugins/train.mjs': TRAIN_PLUGIN, 'recipe.yaml': RECIPE });
  const run = await tempa(['run', 'recipe.yaml'], dir);
  assert.equal(run.code, 0, run.stderr);
  const lockFile = path.join(dir, 'recipe.lock');
  return { dir, lockFile, lock: () => parse(readFileSync(lockFile, 'utf8')) as LockFile };
}

describe('tempa verify', () => {
  it('reruns every stage in a scratch store and finds the lock reproduced; records files and backend in the lock', async () => {
    const { dir, lock } = await project();
    const train = lock().stages.train!;
    assert.deepEqual(Object.keys(train.files!.model!).sort(), ['config.json', 'weights.bin']);
    assert.equal(train.info?.backend, 'cpu');
    const before = readFileSync(path.join(dir, 'recipe.lock'), 'utf8');
    const verify = await tempa(['verify', 'recipe.yaml'], dir);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /every stage rerun in a scratch store/);
    assert.match(verify.stdout, /verified: all 3 stages match the lock/);
    assert.equal(readFileSync(path.join(dir, 'recipe.lock'), 'utf8'), before, 'verify never writes the lock');
    const noRun = await tempa(['verify', 'recipe.yaml', '--no-run'], dir);
    assert.equal(noRun.code, 0, noRun.stdout + noRun.stderr);
  });

  it('a different backend: the first stage whose outputs differ, its file, and the backend as the cause', async () => {
    const { dir } = await project();
    const verify = await tempa(['verify', 'recipe.yaml', '--backend', 'wasm'], dir);
    assert.equal(verify.code, 1, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /prep\s+ok/);
    assert.match(verify.stdout, /train\s+outputs differ: model\/weights\.bin\n\s+likely cause: backend: backend cpu -> wasm/);
    assert.match(verify.stdout, /use\s+differs \(downstream of train\)/);
    assert.match(verify.stdout, /first difference: stage train, file model\/weights\.bin; likely cause: backend: backend cpu -> wasm/);
  });

  it('a tampered lock is reported by status, run and verify, and run does not rewrite it', async () => {
    const { dir, lockFile } = await project();
    const text = readFileSync(lockFile, 'utf8');
    const hash = (parse(text) as LockFile).stages.train!.outputs.model!;
    const tampered = text.replace(hash, 'f'.repeat(64));
    writeFileSync(lockFile, tampered);
    const status = await tempa(['status', 'recipe.yaml'], dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /train\s+cached, but outputs differ from the lock: model \(its hash in the lock does not match its own file hashes\) \(likely cause: the lock was edited\)/);
    const run = await tempa(['run', 'recipe.yaml'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout + run.stderr, /train: warning: outputs differ from the lock.*the lock keeps its hashes/);
    assert.equal((parse(readFileSync(lockFile, 'utf8')) as LockFile).stages.train!.outputs.model, 'f'.repeat(64), 'run left the lock as it was');
    const verify = await tempa(['verify', 'recipe.yaml', '--no-run'], dir);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /first difference: stage train, file model \(its hash in the lock does not match its own file hashes\); likely cause: the lock was edited/);
    const relock = await tempa(['run', 'recipe.yaml', '--relock'], dir);
    assert.equal(relock.code, 0, relock.stderr);
    assert.equal((parse(readFileSync(lockFile, 'utf8')) as LockFile).stages.train!.outputs.model, hash, '--relock accepts the store\'s hashes');
  });

  it('a tampered store file is found by --no-run, named, and blamed on the stored data', async () => {
    const { dir, lock } = await project();
    const key = lock().stages.train!.key;
    const weights = path.join(dir, '.tempa', 'runs', key.slice(0, 2), key, 'out', 'model', 'weights.bin');
    chmodSync(weights, 0o644);
    writeFileSync(weights, readFileSync(weights, 'utf8').replace('cpu', 'CPU'));
    const verify = await tempa(['verify', 'recipe.yaml', '--no-run'], dir);
    assert.equal(verify.code, 1, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /train\s+not verified: cache entry corrupt: output file out\/model\/weights\.bin does not match its recorded content hash/);
    assert.match(verify.stdout, /likely cause: the stored result was changed after it was written \(data\)/);
    assert.match(verify.stdout, /first difference: stage train/);
  });

  it('without a lock there is nothing to verify: a usage error', async () => {
    const dir = await makeProject({ 'data.txt': 'x', 'plugins/train.mjs': TRAIN_PLUGIN, 'recipe.yaml': RECIPE });
    const verify = await tempa(['verify', 'recipe.yaml'], dir);
    assert.equal(verify.code, 2);
    assert.match(verify.stderr, /no lock file to verify against: recipe\.lock/);
  });
});
