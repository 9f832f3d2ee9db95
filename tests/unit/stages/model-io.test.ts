// A model saved as a folder (safetensors + config.json + tokenizer, heads apart) loads back to identical
// logits and head values, a folder with heads still loads as a plain language model, and a folder whose
// weights do not fit its config is refused with every mismatch named.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { initTf } from '../../../stages/shared/backend/tf.ts';
import { readModelFolder } from '../../../stages/shared/model/folder.ts';
import { loadModel, saveModel } from '../../../stages/shared/model/model-io.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { tinyLanguageModel, tinyTokenizer } from '../../helpers/tiny-model.ts';

describe('model folders', () => {
  it('save -> load gives identical logits, head values, config and meta', async () => {
    const { tf } = await initTf('cpu');
    const dir = await tempDir('model-');
    const { tokenizer, dir: tokenizerDir } = await tinyTokenizer(dir);
    const model = tinyLanguageModel(tf, tokenizer, 5, { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8 });
    model.addHead('score', 3);
    await saveModel(model, path.join(dir, 'm'), { step: 3 }, tokenizerDir);
    const idx = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], 'int32');
    const loaded = await loadModel(tf, path.join(dir, 'm'));
    assert.deepEqual(loaded.forward(idx).dataSync(), model.forward(idx).dataSync());
    assert.deepEqual(loaded.headValues('score', idx).dataSync(), model.headValues('score', idx).dataSync());
    assert.deepEqual(loaded.config, model.config);
    assert.deepEqual(loaded.meta, { step: 3, version: 1 });
    assert.equal(loaded.tokenizer.decode(loaded.tokenizer.encode('the cat')), 'the cat');
    assert.deepEqual(Object.keys(loaded.parameters()).slice(-1), ['heads.score.weight']);
    // The language-model weights alone are a plain GPT-2 folder: no extra tensor in model.safetensors.
    const plain = await readModelFolder(path.join(dir, 'm'), () => Object.fromEntries(Object.entries(model.weights).map(([n, w]) => [n, w.shape])));
    assert.deepEqual(Object.keys(plain.heads ?? {}), ['score.weight']);
    model.dispose();
    loaded.dispose();
    idx.dispose();
  });

  it('patches config keys added later with their defaults, and refuses mismatched weights', async () => {
    const { tf } = await initTf('cpu');
    const dir = await tempDir('model-');
    const { tokenizer, dir: tokenizerDir } = await tinyTokenizer(dir);
    const model = tinyLanguageModel(tf, tokenizer, 5, { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 8 });
    await saveModel(model, dir, { step: 0 }, tokenizerDir);
    model.dispose();
    const saved = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    delete saved.positions; // as if written before `positions` existed
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(saved));
    const loaded = await loadModel(tf, dir);
    assert.equal(loaded.config.positions, 'learned');
    loaded.dispose();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...saved, nEmbd: 32 }));
    await assert.rejects(loadModel(tf, dir), /weights do not match config\.json: wte\.weight has shape \[280,16\], config needs \[280,32\]/);
  });
});
