// The verdicts `tempa verify`, `status` and `run` give when a result and the lock disagree: which
// file, and which cause (data, code, parameters, backend, an edited lock).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareWithLock, infoCauses } from '../../../engine/lock-check.ts';
import type { LockEntry } from '../../../engine/lockfile.ts';

const entry = (over: Partial<LockEntry> = {}): LockEntry => ({
  key: 'k1',
  uses: 'train',
  manifest: { schema: 's', plugin: { name: 'train', version: 1, code: 'c1' }, params: { lr: 0.1 }, inputs: { data: { hash: 'd1', files: { 'a.txt': 'h1' } } }, seed: 1 },
  outputs: { model: 'm1' },
  files: { model: { 'model.safetensors': 'w1', 'config.json': 'c1' } },
  info: { backend: 'native', isa: 'avx512', blas: 'tempa GEMM', threads: '2' },
  ...over,
});

describe('compareWithLock', () => {
  it('matches an identical entry', () => {
    assert.equal(compareWithLock('train', entry(), entry()), undefined);
  });

  it('same key, other bytes: names the file, and the backend, instruction set and BLAS that differ (never the thread count)', () => {
    const here = entry({ outputs: { model: 'm2' }, files: { model: { 'model.safetensors': 'w2', 'config.json': 'c1' } }, info: { backend: 'native', isa: 'avx2', blas: 'OpenBLAS', threads: '2' } });
    assert.deepEqual(compareWithLock('train', entry(), here), {
      stage: 'train',
      kind: 'outputs',
      details: ['model/model.safetensors'],
      causes: ['BLAS library: blas tempa GEMM -> OpenBLAS', 'instruction set: isa avx512 -> avx2'],
    });
    assert.deepEqual(infoCauses({ backend: 'wasm', node: '20.1.0', threads: '1' }, { backend: 'native', node: '22.0.0', threads: '2' }), ['backend: backend wasm -> native', 'package versions: node 20.1.0 -> 22.0.0']);
  });

  it('an output that records the run (times, cache status) is never compared', () => {
    const withReport = (hash: string) => entry({ outputs: { model: 'm1', html: hash }, files: { model: { 'model.safetensors': 'w1', 'config.json': 'c1' }, html: { 'report.html': hash } }, recordsTheRun: ['html'] });
    assert.equal(compareWithLock('report', withReport('r1'), withReport('r2')), undefined);
    assert.equal(compareWithLock('report', entry({ outputs: { model: 'm1', html: 'r1' } }), entry({ outputs: { model: 'm1', html: 'r2' } }))?.kind, 'outputs');
  });

  it('same key and files but another output hash: the lock was edited', () => {
    assert.deepEqual(compareWithLock('train', entry({ outputs: { model: 'f'.repeat(64) } }), entry())?.causes, ['the lock was edited']);
  });

  it('another key: data, code or parameters, from the manifest diff', () => {
    const data = entry({ key: 'k2', manifest: { ...entry().manifest, inputs: { data: { hash: 'd2', files: { 'a.txt': 'h2' } } } } });
    assert.deepEqual(compareWithLock('train', entry(), data), { stage: 'train', kind: 'key', details: ['input data changed: a.txt modified'], causes: ['data: an input dataset or upstream result'] });
    const code = entry({ key: 'k3', manifest: { ...entry().manifest, plugin: { name: 'train', version: 1, code: 'c2' }, params: { lr: 0.2 } } });
    assert.deepEqual(compareWithLock('train', entry(), code)!.causes, ['stage code: another tempa version or a local edit', 'recipe parameters']);
    assert.deepEqual(compareWithLock('train', undefined, entry())!.details, ['not in the lock file']);
  });
});
