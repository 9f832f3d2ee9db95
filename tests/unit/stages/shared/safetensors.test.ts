// safetensors round trip, the exact byte layout other tools expect, and clear errors on bad files.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readSafetensors, writeSafetensors } from '../../../../stages/shared/model/safetensors.ts';
import { tempDir } from '../../../helpers/temp-dir.ts';

describe('safetensors', () => {
  it('round-trips tensors and metadata', async () => {
    const dir = await tempDir('st-');
    const file = path.join(dir, 'm.safetensors');
    const w = { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4.5, -5, 6e-8]) };
    const ids = { dtype: 'I32' as const, shape: [4], data: new Int32Array([7, -1, 0, 2 ** 31 - 1]) };
    await writeSafetensors(file, { 'h.0.weight': w, ids }, { format: 'pt' });
    const back = await readSafetensors(file);
    assert.deepEqual(back.metadata, { format: 'pt' });
    assert.deepEqual(back.tensors['h.0.weight'], w);
    assert.deepEqual(back.tensors.ids, ids);
  });

  it('writes the documented layout: u64 header length, JSON header padded to 8 bytes, sorted data', async () => {
    const dir = await tempDir('st-');
    const file = path.join(dir, 'm.safetensors');
    await writeSafetensors(file, { b: { dtype: 'F32', shape: [1], data: new Float32Array([2]) }, a: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    const bytes = await readFile(file);
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    assert.deepEqual(JSON.parse(bytes.subarray(8, 8 + n).toString()), {
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    });
    assert.equal(bytes.readFloatLE(8 + n), 1);
    assert.equal(bytes.readFloatLE(8 + n + 4), 2);
  });

  it('rejects truncated and inconsistent files with the file named', async () => {
    const dir = await tempDir('st-');
    const file = path.join(dir, 'bad.safetensors');
    await writeFile(file, Buffer.from([1, 2, 3]));
    await assert.rejects(readSafetensors(file), /bad\.safetensors is too short/);
    await writeSafetensors(file, { a: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 4));
    await assert.rejects(readSafetensors(file), /tensor a has inconsistent offsets/);
    await assert.rejects(writeSafetensors(file, { a: { dtype: 'F32', shape: [3], data: new Float32Array(4) } }), /shape \[3\] needs 3 values, has 4/);
  });
});
