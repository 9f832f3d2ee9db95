// Golden cache-key tests (Turborepo hash/mod.rs): a fixed manifest must hash to a fixed literal, so
// an accidental change to canonicalisation or the key recipe fails loudly instead of silently
// invalidating (or worse, aliasing) everyone's caches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, hashValue } from '../../../engine/cache/canonical.ts';
import { KEY_SCHEMA, stageKey, type KeyManifest } from '../../../engine/cache/key.ts';

const manifest: KeyManifest = {
  schema: KEY_SCHEMA,
  plugin: { name: 'exec', version: 1, code: 'c0de' },
  params: { command: 'echo hi', env: {}, cwd: '.', outputs: { out: 'out.txt' } },
  inputs: { src: { hash: 'abc', files: { 'a.txt': 'abc' } } },
  seed: 7,
};

describe('cache key', () => {
  it('hashes a fixed manifest to a fixed literal', () => {
    assert.equal(stageKey(manifest), '9cea0fd4a13a84cbd16b2981cddc28a0007067448faaf6c0f89a7876130003cb');
  });

  it('does not depend on key order', () => {
    const reordered: KeyManifest = { seed: 7, inputs: manifest.inputs, params: { outputs: { out: 'out.txt' }, cwd: '.', env: {}, command: 'echo hi' }, plugin: { code: 'c0de', version: 1, name: 'exec' }, schema: KEY_SCHEMA };
    assert.equal(stageKey(reordered), stageKey(manifest));
  });

  it('changes with any semantic change', () => {
    const keys = new Set([
      stageKey(manifest),
      stageKey({ ...manifest, seed: 8 }),
      stageKey({ ...manifest, params: { ...(manifest.params as object), command: 'echo ho' } }),
      stageKey({ ...manifest, plugin: { ...manifest.plugin, version: 2 } }),
      stageKey({ ...manifest, plugin: { ...manifest.plugin, code: 'c0df' } }),
      stageKey({ ...manifest, inputs: { src: { hash: 'abd', files: { 'a.txt': 'abd' } } } }),
      stageKey({ ...manifest, inputs: { src: { hash: 'abc', files: { 'a.txt': 'abc' }, from: 'make.out' } } }),
    ]);
    assert.equal(keys.size, 7);
  });

  it('cannot be fooled by moving text across field boundaries', () => {
    assert.notEqual(hashValue({ a: 'x,y', b: '' }), hashValue({ a: 'x', b: 'y' }));
    assert.notEqual(hashValue(['ab', 'c']), hashValue(['a', 'bc']));
  });

  it('refuses values that have no canonical JSON form', () => {
    assert.throws(() => canonicalJson({ lr: Number.NaN }), /cannot key lr: NaN is not finite/);
    assert.throws(() => canonicalJson({ a: { b: undefined } }), /cannot key a\.b: undefined/);
    assert.throws(() => canonicalJson({ when: new Date(0) }), /cannot key when: object is not plain JSON/);
  });

  it('writes numbers canonically (RFC 8785)', () => {
    assert.equal(canonicalJson({ b: 1e21, a: 0.1, c: 1.0 }), '{"a":0.1,"b":1e+21,"c":1}');
  });
});
