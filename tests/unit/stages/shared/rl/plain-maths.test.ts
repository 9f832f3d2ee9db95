// Edge cases and defining properties of the plain-number RL maths (KL, GAE, whitening, group
// advantages, pairs, pass@k, PPO token rewards); reference.test.ts checks the same functions against TRL's numbers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gae } from '../../../../../stages/shared/rl/gae.ts';
import { groupAdvantages, zeroSpreadGroups } from '../../../../../stages/shared/rl/group-advantages.ts';
import { klPerToken, updateKlCoef } from '../../../../../stages/shared/rl/kl.ts';
import { bradleyTerryAccuracy, pairStats } from '../../../../../stages/shared/rl/pairs.ts';
import { meanPassAtK, passAtK } from '../../../../../stages/shared/rl/pass-at-k.ts';
import { tokenRewards } from '../../../../../stages/shared/rl/ppo-rewards.ts';
import { whiten, whitenRows } from '../../../../../stages/shared/rl/whiten.ts';
import { assertClose } from './golden.ts';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const unbiasedStd = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

describe('klPerToken', () => {
  const logp = [-0.1, -2.3, -0.7, -5];
  const ref = [-0.4, -1.1, -0.7, -0.2];
  it('k2 and k3 are never negative, k1 can be; all are 0 where the policies agree', () => {
    assert.ok(klPerToken(logp, ref, 'k1').some((x) => x < 0));
    for (const k of ['k2', 'k3'] as const) assert.ok(klPerToken(logp, ref, k).every((x) => x >= 0), k);
    for (const k of ['k1', 'k2', 'k3'] as const) assert.equal(klPerToken(logp, ref, k)[2], 0);
  });
  it('k3 averages to the true KL over samples from the policy', () => {
    // π = [0.7, 0.3], π_ref = [0.4, 0.6]: KL(π‖π_ref) = Σ π log π/π_ref, the expectation of k1 and k3
    const [p, q] = [[0.7, 0.3], [0.4, 0.6]];
    const exact = p[0]! * Math.log(p[0]! / q[0]!) + p[1]! * Math.log(p[1]! / q[1]!);
    for (const k of ['k1', 'k3'] as const) {
      const perToken = klPerToken(p.map(Math.log), q.map(Math.log), k);
      assertClose(p[0]! * perToken[0]! + p[1]! * perToken[1]!, exact, k, 1e-12);
    }
  });
  it("clamps like OpenRLHF when asked", () => assert.deepEqual(klPerToken([-20], [0], 'k3', { clamp: 10 }), [10]));
  it('rejects mismatched lengths and unknown estimators', () => {
    assert.throws(() => klPerToken([1, 2], [1], 'k1'), /logp has 2 tokens, refLogp 1/);
    assert.throws(() => klPerToken([1], [1], 'k4' as 'k1'), /unknown estimator `k4`/);
  });
});

describe('updateKlCoef', () => {
  const ctl = { target: 6, horizon: 10_000 };
  it('keeps the coefficient at the target, raises it above and lowers it below', () => {
    assert.equal(updateKlCoef(0.15, 6, 64, ctl), 0.15);
    assert.ok(updateKlCoef(0.15, 7, 64, ctl) > 0.15);
    assert.ok(updateKlCoef(0.15, 5, 64, ctl) < 0.15);
  });
  it('clips the proportional error at ±0.2', () => {
    assertClose(updateKlCoef(1, 600, 1000, ctl), 1 + 0.2 * 0.1, 'far above');
    assertClose(updateKlCoef(1, 0, 1000, ctl), 1 - 0.2 * 0.1, 'far below');
  });
  it('refuses a non-finite KL and bad settings', () => {
    assert.throws(() => updateKlCoef(0.1, NaN, 8, ctl), /policy has diverged/);
    assert.throws(() => updateKlCoef(0.1, 1, 8, { target: 0, horizon: 1 }), /must be positive/);
  });
});

describe('gae', () => {
  const rewards = [0.1, -0.2, 0.05, 1.5];
  const values = [0.3, 0.2, -0.1, 0.4];
  it('λ = 1, γ = 1 gives Monte-Carlo returns: the advantage is the reward-to-go minus the value', () => {
    const { advantages, returns } = gae(rewards, values, 1, 1);
    const toGo = rewards.map((_, t) => rewards.slice(t).reduce((a, b) => a + b, 0));
    assertClose(returns, toGo, 'returns');
    assertClose(advantages, toGo.map((g, t) => g - values[t]!), 'advantages');
  });
  it('λ = 0 gives the one-step TD error', () => {
    const { advantages } = gae(rewards, values, 0.9, 0);
    assertClose(advantages, rewards.map((r, t) => r + 0.9 * (values[t + 1] ?? 0) - values[t]!), 'td');
  });
  it('handles a one-token and an empty response', () => {
    assert.deepEqual(gae([2], [0.5], 1, 0.95), { advantages: [1.5], returns: [2] });
    assert.deepEqual(gae([], [], 1, 0.95), { advantages: [], returns: [] });
  });
  it('rejects mismatched lengths and coefficients outside [0, 1]', () => {
    assert.throws(() => gae([1, 2], [1], 1, 1), /2 rewards but 1 values/);
    assert.throws(() => gae([1], [1], 1.5, 1), /gamma \(1.5\)/);
  });
});

describe('whiten', () => {
  const xs = [3, -1, 4, 1, 5, -9, 2];
  it('gives mean 0 and unbiased std 1 (up to the 1e-8 epsilon)', () => {
    const w = whiten(xs);
    assertClose(mean(w), 0, 'mean', 0, 1e-12);
    assertClose(unbiasedStd(w), 1, 'std', 1e-8);
  });
  it('shiftMean false keeps the mean', () => assertClose(mean(whiten(xs, { shiftMean: false })), mean(xs), 'mean', 1e-12));
  it('the biased variant divides by n', () => {
    const w = whiten(xs, { unbiased: false });
    assertClose(Math.sqrt(mean(w.map((x) => x * x))), 1, 'biased std', 1e-8);
  });
  it('pools ragged rows and keeps an empty row empty', () => {
    const rows = whitenRows([[1, 2], [], [3, 4, 5]]);
    assert.deepEqual(rows.map((r) => r.length), [2, 0, 3]);
    assertClose(rows.flat(), whiten([1, 2, 3, 4, 5]), 'pooled');
  });
  it('refuses fewer values than the variance needs', () => {
    assert.throws(() => whiten([1]), /1 value to whiten; the unbiased variance needs at least 2/);
    assert.throws(() => whitenRows([[], []]), /0 values/);
    assert.deepEqual(whiten([7], { unbiased: false }), [0]);
  });
});

describe('groupAdvantages', () => {
  it('a group whose answers all score the same gets zero advantages', () => {
    const adv = groupAdvantages([1, 1, 1, 0, 1, 0], 3, 'group');
    assert.deepEqual(adv.slice(0, 3), [0, 0, 0]);
    assert.ok(adv[3]! < 0 && adv[4]! > 0);
  });
  it('one-answer groups get zero advantages under every scale', () => {
    for (const scale of ['group', 'batch', 'none'] as const) assert.deepEqual(groupAdvantages([0.2, 5, -1], 1, scale), [0, 0, 0]);
  });
  it("'none' only subtracts the group mean; 'batch' divides by one std for all", () => {
    assertClose(groupAdvantages([1, 3, 10, 20], 2, 'none'), [-1, 1, -5, 5], 'none');
    const std = unbiasedStd([1, 3, 10, 20]);
    assertClose(groupAdvantages([1, 3, 10, 20], 2, 'batch'), [-1, 1, -5, 5].map((a) => a / (std + 1e-4)), 'batch');
  });
  it('scores with group std get unit scale inside each group', () => {
    const adv = groupAdvantages([0, 1, 0, 1, 7, 9, 8, 8], 4, 'group');
    assertClose(unbiasedStd(adv.slice(0, 4)), 1 / (1 + 1e-4 / unbiasedStd([0, 1, 0, 1])), 'group 0 std', 1e-9);
  });
  it('rejects rewards that do not split into groups', () => {
    assert.throws(() => groupAdvantages([1, 2, 3], 2, 'group'), /3 rewards do not split into groups of 2/);
    assert.throws(() => groupAdvantages([1, 2], 0, 'group'), /positive integer/);
    assert.throws(() => groupAdvantages([1, 2], 2, 'mean' as 'group'), /unknown scale `mean`/);
  });
});

describe('zeroSpreadGroups', () => {
  it('lists the groups whose answers all scored the same', () => {
    assert.deepEqual(zeroSpreadGroups([1, 1, 0, 1, 0, 0, 0.5, 0.5], 2), [0, 2, 3]);
    assert.deepEqual(zeroSpreadGroups([0.1, 0.2], 1), [0, 1]);
    assert.deepEqual(zeroSpreadGroups([0.3, 0.1 + 0.2], 2), [0]); // float noise below 1e-8 is no spread
  });
});

describe('pairStats', () => {
  it('counts a tie as wrong and averages the margin', () => {
    assert.deepEqual(pairStats([1, 2, 3, 0], [0, 2, 1, 1]), { accuracy: 0.5, margin: (1 + 0 + 2 - 1) / 4 });
    assert.equal(bradleyTerryAccuracy([1, 2], [0, 3]), 0.5);
  });
  it('rejects empty or unequal lists', () => {
    assert.throws(() => pairStats([], []), /no pairs/);
    assert.throws(() => pairStats([1], [1, 2]), /1 chosen scores but 2 rejected/);
  });
});

describe('passAtK', () => {
  it('is c/n at k = 1, 0 with no correct answer, 1 when every draw of k must hit one', () => {
    assertClose(passAtK(10, 3, 1), 0.3, 'pass@1', 1e-12);
    assert.equal(passAtK(8, 0, 8), 0);
    assert.equal(passAtK(8, 6, 3), 1);
  });
  it('matches the closed form 1 − C(n−c, k)/C(n, k)', () => {
    const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n - 1, k - 1) * n) / k);
    assertClose(passAtK(12, 4, 5), 1 - choose(8, 5) / choose(12, 5), 'pass@5', 1e-12);
  });
  it('averages over problems and rejects impossible counts', () => {
    assertClose(meanPassAtK([1, 4], 4, 1)[0]!, (0.25 + 1) / 2, 'mean', 1e-12);
    assert.throws(() => passAtK(4, 5, 1), /0 <= c <= n/);
    assert.throws(() => passAtK(4, 1, 5), /1 <= k <= n/);
  });
});

describe('tokenRewards', () => {
  it('penalises every token by klCoef·KL and adds the score on the last one', () => {
    const r = tokenRewards(2, [-0.5, -1, -0.2], [-0.7, -1, -0.1], 0.1, 'k1');
    assertClose(r.kl, [0.2, 0, -0.1], 'kl', 1e-12, 1e-15);
    assertClose(r.rewards, [-0.02, 0, 2 + 0.01], 'rewards', 1e-12, 1e-15);
    assertClose(r.nonScoreReward, -0.01, 'non-score reward', 1e-12);
  });
  it('refuses an empty response and a non-finite score', () => {
    assert.throws(() => tokenRewards(1, [], [], 0.1, 'k1'), /empty response/);
    assert.throws(() => tokenRewards(NaN, [-1], [-1], 0.1, 'k3'), /score is NaN/);
  });
});
