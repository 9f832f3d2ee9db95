// The wasm patches and native kernels read tfjs internals of one exact version: the pin in package.json,
// the installed packages and the version the check expects agree, and another version is named.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TFJS_VERSION, tfjsMismatch } from '../../../../stages/shared/backend/tf.ts';

const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };

describe('tfjs version pin', () => {
  it('package.json pins every tfjs package to the version the kernels were written for, and that is what is installed', () => {
    for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu']) assert.equal(pkg.dependencies[name], TFJS_VERSION, name);
    assert.equal(tfjsMismatch(), undefined);
  });

  it('names each package whose installed version differs', () => {
    const versions: Record<string, string> = { 'tfjs-core': '4.23.0', 'tfjs-backend-wasm': TFJS_VERSION };
    assert.equal(tfjsMismatch((name) => versions[name]!), `tfjs-core 4.23.0 installed, tempa's kernels need ${TFJS_VERSION}`);
  });
});
