// A model saved as a folder (safetensors + config.json) loads back to identical logits, and a folder
// whose weights do not fit its config is refused with every mismatch named.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { forward, initGPT, resolveModelConfig } from '../../../stages/shared/model/gpt.ts';
import { disposeParams, loadGPT, saveGPT } from '../../../stages/shared/model/model-io.ts';
import { initTf } from '../../../stages/shared/backend/tf.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

describe('model folders', () => {
  it('save -> load gives identical logits', async () => {
    const { tf } = await initTf('cpu');
    const config = resolveModelConfig({ nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8 }, 40);
    const params = initGPT(tf, config, 5);
    const dir = await tempDir('model-');
    await saveGPT(dir, params, config, { stage: 'test', step: 3 });
    const idx = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], 'int32');
    const before = forward(tf, params, config, idx);
    const loaded = await loadGPT(tf, dir);
    const after = forward(tf, loaded.params, loaded.config, idx);
    assert.deepEqual(after.dataSync(), before.dataSync());
    assert.deepEqual(loaded.config, config);
    assert.deepEqual(loaded.meta, { stage: 'test', step: 3, version: 1 });
    tf.dispose([idx, before, after]);
    disposeParams(params);
    disposeParams(loaded.params);
  });

  it('patches config keys added later with their defaults, and refuses mismatched weights', async () => {
    const { tf } = await initTf('cpu');
    const config = resolveModelConfig({ nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 8 }, 40);
    const params = initGPT(tf, config, 5);
    const dir = await tempDir('model-');
    await saveGPT(dir, params, config, { stage: 'test', step: 0 });
    disposeParams(params);
    const saved = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    delete saved.positions; // as if written before `positions` existed
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(saved));
    const loaded = await loadGPT(tf, dir);
    assert.equal(loaded.config.positions, 'learned');
    disposeParams(loaded.params);
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...saved, nEmbd: 32 }));
    await assert.rejects(loadGPT(tf, dir), /weights do not match config\.json: wte\.weight has shape \[40,16\], config needs \[40,32\]/);
  });
});
