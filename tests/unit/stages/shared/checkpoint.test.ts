// Model folders validate names and shapes against the config; checkpoints survive a cut-short swap.
import assert from 'node:assert/strict';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readModelFolder, writeModelFolder } from '../../../../stages/shared/model/folder.ts';
import { readTrainingCheckpoint, writeTrainingCheckpoint } from '../../../../stages/shared/train/checkpoint.ts';
import { tempDir } from '../../../helpers/temp-dir.ts';

const weights = {
  wte: { dtype: 'F32' as const, shape: [4, 2], data: new Float32Array(8).fill(0.5) },
  'ln_f.weight': { dtype: 'F32' as const, shape: [2], data: new Float32Array([1, 1]) },
};
const shapes = (config: Record<string, unknown>) => ({ wte: [config.vocabSize as number, config.nEmbd as number], 'ln_f.weight': [config.nEmbd as number] });

describe('model folders', () => {
  it('write -> read keeps weights, config and meta, and copies the tokenizer files', async () => {
    const dir = await tempDir('ckpt-');
    const tok = path.join(dir, 'tok');
    await mkdir(tok);
    await writeFile(path.join(tok, 'tokenizer.json'), '{"model":{}}');
    await writeModelFolder(path.join(dir, 'm'), { config: { vocabSize: 4, nEmbd: 2 }, weights, meta: { step: 7, version: 1 } }, tok);
    assert.deepEqual((await readdir(path.join(dir, 'm'))).sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
    const back = await readModelFolder(path.join(dir, 'm'), shapes);
    assert.deepEqual(back.config, { vocabSize: 4, nEmbd: 2 });
    assert.deepEqual(back.meta, { step: 7, version: 1 });
    assert.deepEqual(back.weights.wte, weights.wte);
  });

  it('names every tensor that does not match the config', async () => {
    const dir = await tempDir('ckpt-');
    await writeModelFolder(dir, { config: { vocabSize: 5, nEmbd: 2 }, weights: { ...weights, extra: weights.wte }, meta: { step: 0, version: 1 } });
    await assert.rejects(readModelFolder(dir, shapes), /weights do not match config\.json: wte has shape \[4,2\], config needs \[5,2\]; unexpected tensor extra/);
    await writeFile(path.join(dir, 'config.json'), '{');
    await assert.rejects(readModelFolder(dir, shapes), /cannot read config\.json/);
  });
});

describe('training checkpoints', () => {
  it('the latest complete checkpoint wins, also when a swap was cut short', async () => {
    const dir = await tempDir('ckpt-');
    assert.equal(await readTrainingCheckpoint(dir), undefined);
    await writeTrainingCheckpoint(dir, { weights, optimizer: { m: weights.wte }, state: { step: 10 } });
    await writeTrainingCheckpoint(dir, { weights, optimizer: { m: weights.wte }, state: { step: 20 } });
    assert.equal((await readTrainingCheckpoint(dir))!.state.step, 20);
    // simulate a kill between "latest -> previous" and "staging -> latest"
    await rename(path.join(dir, 'latest'), path.join(dir, 'previous-999'));
    const back = await readTrainingCheckpoint(dir);
    assert.equal(back!.state.step, 20);
    assert.deepEqual(back!.optimizer.m, weights.wte);
  });
});
