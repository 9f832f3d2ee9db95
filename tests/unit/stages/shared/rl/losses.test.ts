// Edge cases of the tensor losses that TRL's numbers do not cover: fully padded rows and batches, junk
// in padding, IPO's two ways of passing lengths, bad input, and no leaked tensors.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initTf, type Tensor, type TF } from '../../../../../stages/shared/backend/tf.ts';
import { bradleyTerryLoss, dpoLoss, entropyFromLogits, grpoLoss, maskedMean, ppoPolicyLoss, ppoValueLoss } from '../../../../../stages/shared/rl/losses.ts';
import { assertClose } from './golden.ts';

let tf: TF;
before(async () => ({ tf } = await initTf('cpu')));

const mask = () => tf.tensor2d([[1, 1, 1], [0, 0, 0], [1, 0, 0]]); // row 1 is fully padded
const logpRows = [[-0.5, -1.2, -0.3], [-0.7, -0.1, -2], [-1.5, -0.2, -0.9]];
const oldRows = [[-0.6, -1.0, -0.35], [-0.2, -0.4, -1], [-1.2, -0.5, -0.7]];
const finite = (t: Tensor) => Array.from(t.dataSync()).every(Number.isFinite);

describe('maskedMean', () => {
  it('averages valid entries, per row or overall, and gives 0 for a fully masked slice', () => {
    const x = tf.tensor2d(logpRows);
    assertClose(maskedMean(tf, x, mask()).dataSync(), (-0.5 - 1.2 - 0.3 - 1.5) / 4, 'all', 1e-6);
    assertClose(maskedMean(tf, x, mask(), 1).dataSync(), [-2 / 3, 0, -1.5], 'rows', 1e-6);
    assert.equal(maskedMean(tf, x, tf.zeros([3, 3])).dataSync()[0], 0);
  });
});

describe('grpoLoss', () => {
  const options = { epsLow: 0.2, epsHigh: 0.28, beta: 0.04, maxTokens: 4 };
  const inputs = (logp: Tensor) => ({ logp, oldLogp: tf.tensor2d(oldRows), refLogp: tf.tensor2d(oldRows), advantages: tf.tensor1d([1, -0.5, 0.7]), mask: mask() });
  it("a fully padded answer adds 0 to 'grpo' but still counts in the batch mean, as TRL's clamp(min=1)", () => {
    const all = grpoLoss(tf, inputs(tf.tensor2d(logpRows)), { ...options, aggregation: 'grpo' }).loss.dataSync()[0]!;
    const keep = tf.tensor1d([0, 2], 'int32');
    const two = (rows: number[][]) => tf.gather(tf.tensor2d(rows), keep);
    const without = grpoLoss(tf, { logp: two(logpRows), oldLogp: two(oldRows), refLogp: two(oldRows), advantages: tf.tensor1d([1, 0.7]), mask: tf.tensor2d([[1, 1, 1], [1, 0, 0]]) },
      { ...options, aggregation: 'grpo' }).loss.dataSync()[0]!;
    assertClose(all, (without * 2) / 3, 'grpo with an empty answer', 1e-5);
  });
  it('junk in padding (−inf, NaN) changes neither the loss nor the gradient', () => {
    const junk = logpRows.map((row, b) => row.map((x, t) => ([[1, 1, 1], [0, 0, 0], [1, 0, 0]][b]![t] ? x : b === 1 ? -Infinity : NaN)));
    for (const aggregation of ['grpo', 'dapo', 'bnpo', 'dr_grpo'] as const) {
      const f = (x: Tensor) => grpoLoss(tf, inputs(x), { ...options, aggregation }).loss;
      const clean = tf.grad(f)(tf.tensor2d(logpRows.map((row, b) => row.map((x, t) => ([[1, 1, 1], [0, 0, 0], [1, 0, 0]][b]![t] ? x : 0)))));
      const dirty = tf.grad(f)(tf.tensor2d(junk));
      assert.ok(finite(dirty), `${aggregation} gradient is finite`);
      assertClose(dirty.dataSync(), Array.from(clean.dataSync()), `${aggregation} gradient`, 1e-6, 1e-7);
      assertClose(f(tf.tensor2d(junk)).dataSync(), Array.from(f(tf.tensor2d(logpRows)).dataSync()), `${aggregation} loss`, 1e-6);
    }
  });
  it('on-policy with β = 0 the gradient is −A/tokens per answer token (the REINFORCE direction)', () => {
    const logp = tf.tensor2d(oldRows);
    const g = tf.grad((x: Tensor) => grpoLoss(tf, { logp: x, oldLogp: tf.tensor2d(oldRows), advantages: tf.tensor1d([1, -0.5, 0.7]), mask: mask() },
      { ...options, beta: 0, aggregation: 'dapo' }).loss)(logp);
    assertClose(g.dataSync(), [-1 / 4, -1 / 4, -1 / 4, 0, 0, 0, -0.7 / 4, 0, 0], 'dL/dlogp', 1e-6, 1e-7);
  });
  it("dapo's tokenCount replaces the batch's token count", () => {
    const f = (tokenCount?: number) => grpoLoss(tf, inputs(tf.tensor2d(logpRows)), { ...options, aggregation: 'dapo', tokenCount }).loss.dataSync()[0]!;
    assertClose(f(8), f() / 2, 'tokenCount 8 = half of 4 tokens', 1e-6);
  });
  it('needs refLogp for β > 0, maxTokens >= T for dr_grpo, matching shapes', () => {
    const base = { logp: tf.tensor2d(logpRows), oldLogp: tf.tensor2d(oldRows), advantages: tf.tensor1d([1, 2, 3]), mask: mask() };
    assert.throws(() => grpoLoss(tf, base, { ...options, aggregation: 'grpo' }), /beta 0.04 needs refLogp/);
    assert.throws(() => grpoLoss(tf, base, { ...options, beta: 0, aggregation: 'dr_grpo', maxTokens: 2 }), /maxTokens >= 3/);
    assert.throws(() => grpoLoss(tf, { ...base, advantages: tf.tensor1d([1, 2]) }, { ...options, beta: 0, aggregation: 'grpo' }), /advantages has shape \[2\], expected \[3\]/);
    assert.throws(() => grpoLoss(tf, { ...base, mask: tf.ones([3, 2]) }, { ...options, beta: 0, aggregation: 'grpo' }), /mask has shape \[3,2\], expected \[3,3\]/);
  });
});

describe('ppo losses', () => {
  it('a fully padded minibatch gives loss 0, not NaN', () => {
    const zeros = tf.zeros([2, 3]);
    const p = ppoPolicyLoss(tf, { logp: zeros, oldLogp: zeros, advantages: zeros, mask: zeros }, 0.2);
    const v = ppoValueLoss(tf, { values: zeros, oldValues: zeros, returns: zeros, mask: zeros }, 0.2);
    for (const t of [p.loss, p.clipfrac, p.approxkl, v.loss, v.clipfrac]) assert.equal(t.dataSync()[0], 0);
  });
  it('clips the ratio only on the side the advantage pushes towards', () => {
    const m = tf.ones([1, 2]);
    // ratio e^0.5 ≈ 1.65 on both tokens: A > 0 is clipped (no gradient), A < 0 is not
    const f = (x: Tensor) => ppoPolicyLoss(tf, { logp: x, oldLogp: tf.zeros([1, 2]), advantages: tf.tensor2d([[1, -1]]), mask: m }, 0.2).loss;
    const g = tf.grad(f)(tf.fill([1, 2], 0.5)).dataSync();
    assert.equal(g[0], 0);
    assertClose(g[1]!, Math.exp(0.5) / 2, 'unclipped gradient', 1e-6);
    assertClose(ppoPolicyLoss(tf, { logp: tf.fill([1, 2], 0.5), oldLogp: tf.zeros([1, 2]), advantages: tf.tensor2d([[1, -1]]), mask: m }, 0.2).clipfrac.dataSync(), 0.5, 'clipfrac', 1e-6);
  });
  it('rejects a bad clip range', () => {
    const z = tf.zeros([1, 1]);
    assert.throws(() => ppoPolicyLoss(tf, { logp: z, oldLogp: z, advantages: z, mask: z }, 0), /clipEps must be > 0/);
    assert.throws(() => ppoValueLoss(tf, { values: z, oldValues: z, returns: z, mask: z }, -1), /clipRange must be > 0/);
  });
});

describe('dpoLoss', () => {
  const pairs = () => ({ policyChosen: tf.tensor1d([-4, -9, -2]), policyRejected: tf.tensor1d([-6, -5, -3]), refChosen: tf.tensor1d([-5, -8, -2.5]), refRejected: tf.tensor1d([-5, -6, -2]) });
  it('at the reference (all log-ratios 0) sigmoid DPO is log 2 and IPO is 1/(2β)²', () => {
    const same = { policyChosen: tf.tensor1d([-3, -4]), policyRejected: tf.tensor1d([-2, -7]), refChosen: tf.tensor1d([-3, -4]), refRejected: tf.tensor1d([-2, -7]) };
    assertClose(dpoLoss(tf, same, { beta: 0.1, lossType: 'sigmoid', labelSmoothing: 0 }).loss.dataSync(), Math.LN2, 'sigmoid', 1e-6);
    assertClose(dpoLoss(tf, same, { beta: 0.1, lossType: 'ipo', labelSmoothing: 0 }).loss.dataSync(), 25, 'ipo', 1e-6);
  });
  it('ipo with token counts equals ipo on per-token-averaged log-probs', () => {
    const counts = { chosenTokens: tf.tensor1d([4, 2, 1]), rejectedTokens: tf.tensor1d([3, 5, 2]) };
    const withCounts = dpoLoss(tf, { ...pairs(), ...counts }, { beta: 0.3, lossType: 'ipo', labelSmoothing: 0 }).loss.dataSync()[0]!;
    const p = pairs();
    const averaged = { policyChosen: tf.div(p.policyChosen, counts.chosenTokens), refChosen: tf.div(p.refChosen, counts.chosenTokens),
      policyRejected: tf.div(p.policyRejected, counts.rejectedTokens), refRejected: tf.div(p.refRejected, counts.rejectedTokens) };
    assertClose(dpoLoss(tf, averaged, { beta: 0.3, lossType: 'ipo', labelSmoothing: 0 }).loss.dataSync(), withCounts, 'ipo', 1e-6);
  });
  it('robust with ε = 0 and cDPO with ε = 0 are plain sigmoid DPO', () => {
    const plain = dpoLoss(tf, pairs(), { beta: 0.2, lossType: 'sigmoid', labelSmoothing: 0 }).loss.dataSync()[0]!;
    assertClose(dpoLoss(tf, pairs(), { beta: 0.2, lossType: 'robust', labelSmoothing: 0 }).loss.dataSync(), plain, 'robust', 1e-6);
  });
  it('rejects bad settings', () => {
    assert.throws(() => dpoLoss(tf, pairs(), { beta: 0.1, lossType: 'robust', labelSmoothing: 0.5 }), /robust needs labelSmoothing in \[0, 0.5\)/);
    assert.throws(() => dpoLoss(tf, pairs(), { beta: 0, lossType: 'sigmoid', labelSmoothing: 0 }), /beta must be > 0/);
    assert.throws(() => dpoLoss(tf, { ...pairs(), chosenTokens: tf.tensor1d([1, 2, 3]) }, { beta: 0.1, lossType: 'ipo', labelSmoothing: 0 }), /both chosenTokens and rejectedTokens/);
    assert.throws(() => dpoLoss(tf, { ...pairs(), refRejected: tf.tensor1d([1]) }, { beta: 0.1, lossType: 'sigmoid', labelSmoothing: 0 }), /refRejected has shape \[1\], expected \[3\]/);
  });
});

describe('bradleyTerryLoss', () => {
  it('is log 2 for equal rewards, larger with a margin, and centering adds coef·mean((c+r)²)', () => {
    const c = tf.tensor1d([1, 2]);
    const r = tf.tensor1d([1, 2]);
    assertClose(bradleyTerryLoss(tf, c, r, { centeringCoef: 0 }).dataSync(), Math.LN2, 'equal', 1e-6);
    assert.ok(bradleyTerryLoss(tf, c, r, { centeringCoef: 0, margin: tf.tensor1d([1, 1]) }).dataSync()[0]! > Math.LN2);
    assertClose(bradleyTerryLoss(tf, c, r, { centeringCoef: 0.01 }).dataSync(), Math.LN2 + 0.01 * (4 + 16) / 2, 'centred', 1e-6);
  });
});

describe('entropyFromLogits', () => {
  it('is log V for uniform logits and ~0 for a peaked row; needs (N, V)', () => {
    assertClose(entropyFromLogits(tf, tf.tensor2d([[0, 0, 0, 0], [100, 0, 0, 0]])).dataSync(), [Math.log(4), 0], 'entropy', 1e-6, 1e-6);
    assert.throws(() => entropyFromLogits(tf, tf.zeros([4])), /must be \(N, V\)/);
  });
});

describe('tensor hygiene', () => {
  it('no loss leaks tensors beyond the ones it returns', () => {
    const m = mask();
    const [logp, old] = [tf.tensor2d(logpRows), tf.tensor2d(oldRows)];
    const adv2 = tf.tensor2d(oldRows);
    const dpo = { policyChosen: tf.tensor1d([-1, -2]), policyRejected: tf.tensor1d([-2, -1]), refChosen: tf.tensor1d([-1, -1]), refRejected: tf.tensor1d([-1, -1]) };
    const before = tf.memory().numTensors;
    const outputs: Tensor[] = [];
    const keep = (o: object): void => Object.values(o).forEach((v: unknown) => (v instanceof tf.Tensor ? outputs.push(v) : v && typeof v === 'object' && keep(v)));
    keep(grpoLoss(tf, { logp, oldLogp: old, refLogp: old, advantages: tf.tensor1d([1, 2, 3]), mask: m }, { epsLow: 0.2, epsHigh: 0.2, beta: 0.1, aggregation: 'grpo', maxTokens: 3 }));
    keep(ppoPolicyLoss(tf, { logp, oldLogp: old, advantages: adv2, mask: m }, 0.2));
    keep(ppoValueLoss(tf, { values: logp, oldValues: old, returns: adv2, mask: m }, 0.2));
    keep(dpoLoss(tf, dpo, { beta: 0.1, lossType: 'sigmoid', labelSmoothing: 0.1 }));
    outputs.push(bradleyTerryLoss(tf, dpo.policyChosen, dpo.policyRejected, { centeringCoef: 0.01 }), maskedMean(tf, logp, m), entropyFromLogits(tf, logp));
    // grpoLoss's advantages tensor1d above is the one input created inside the measured span
    assert.equal(tf.memory().numTensors - before, outputs.length + 1);
    tf.dispose(outputs);
  });
});
