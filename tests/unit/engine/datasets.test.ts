// The root folder of a multi-file dataset: the deepest folder that holds every file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonDir } from '../../../engine/datasets.ts';

describe('commonDir', () => {
  it('is the deepest shared folder, not a shared name prefix', () => {
    assert.equal(commonDir(['/data/a/x.txt', '/data/a/sub/y.txt']), '/data/a');
    assert.equal(commonDir(['/data/ab/x.txt', '/data/a/y.txt']), '/data');
  });

  it('stops at the root when files share nothing else', () => {
    assert.equal(commonDir(['/a/x.txt', '/b/y.txt']), '/');
  });
});
