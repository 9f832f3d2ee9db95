// pass@k against hand-computed values of 1 - C(n-c, k) / C(n, k), its edge cases (c = 0, c = n, k = n), its
// stability where the binomials overflow, and bad arguments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanPassAtK, passAtK } from '../../../../stages/shared/rl/pass-at-k.ts';

const close = (actual: number, expected: number, label: string) => assert.ok(Math.abs(actual - expected) < 1e-12, `${label}: ${actual} vs ${expected}`);

describe('passAtK', () => {
  it('matches hand-computed values', () => {
    close(passAtK(8, 1, 1), 1 / 8, 'n8 c1 k1'); // 1 - C(7,1)/C(8,1) = 1 - 7/8
    close(passAtK(8, 1, 2), 1 / 4, 'n8 c1 k2'); // 1 - C(7,2)/C(8,2) = 1 - 21/28
    close(passAtK(8, 2, 2), 13 / 28, 'n8 c2 k2'); // 1 - C(6,2)/C(8,2) = 1 - 15/28
    close(passAtK(10, 3, 4), 1 - 35 / 210, 'n10 c3 k4'); // C(7,4) = 35, C(10,4) = 210
    close(passAtK(5, 2, 3), 1 - 1 / 10, 'n5 c2 k3'); // C(3,3) = 1, C(5,3) = 10
    close(passAtK(4, 1, 1), 0.25, 'n4 c1 k1');
  });

  it('pass@1 is the fraction correct', () => {
    for (let c = 0; c <= 8; c++) close(passAtK(8, c, 1), c / 8, `c ${c}`);
  });

  it('is 0 with no correct answer, 1 with all correct, and 1 at k = n with any correct answer', () => {
    for (let k = 1; k <= 8; k++) {
      assert.equal(passAtK(8, 0, k), 0);
      assert.equal(passAtK(8, 8, k), 1);
    }
    assert.equal(passAtK(8, 1, 8), 1);
    assert.equal(passAtK(1, 1, 1), 1);
    assert.equal(passAtK(1, 0, 1), 0);
    assert.equal(passAtK(8, 0, 8), 0);
  });

  it('grows with k and stays finite where C(n, k) overflows a double', () => {
    let previous = 0;
    for (let k = 1; k <= 8; k++) {
      const value = passAtK(8, 2, k);
      assert.ok(value >= previous);
      previous = value;
    }
    const big = passAtK(2000, 3, 500); // C(2000, 500) is about 1e486
    close(big, 1 - (1500 * 1499 * 1498) / (2000 * 1999 * 1998), 'n2000 c3 k500');
  });

  it('rejects arguments outside 0 <= c <= n, 1 <= k <= n', () => {
    assert.throws(() => passAtK(8, 9, 1), RangeError);
    assert.throws(() => passAtK(8, -1, 1), RangeError);
    assert.throws(() => passAtK(8, 1, 0), RangeError);
    assert.throws(() => passAtK(8, 1, 9), /1 <= k <= n/);
    assert.throws(() => passAtK(0, 0, 1), RangeError);
    assert.throws(() => passAtK(8, 1.5, 1), RangeError);
  });
});

describe('meanPassAtK', () => {
  it('averages over prompts for k = 1..min(maxK, n)', () => {
    const values = meanPassAtK([0, 1, 8], 8);
    assert.equal(values.length, 8);
    close(values[0]!, (0 + 1 / 8 + 1) / 3, 'k1');
    close(values[1]!, (0 + 1 / 4 + 1) / 3, 'k2');
    close(values[7]!, (0 + 1 + 1) / 3, 'k8');
    assert.deepEqual(meanPassAtK([1, 2], 3).length, 3);
    assert.deepEqual(meanPassAtK([], 4), [0, 0, 0, 0]);
  });
});
