// Every RL function against numbers TRL (or a torch transcription of TRL's lines) produced: values and,
// for the tensor losses, gradients against torch autograd. Inputs are ragged batches with padding
// holding junk, B >= 3, on the cpu, wasm and native backends. Live against trl with TEMPA_PYTHON set, else
// against the committed golden.json.
import { describe, it, type TestContext } from 'node:test';
import { initTf, type Tensor, type TF } from '../../../../../stages/shared/backend/tf.ts';
import { gae } from '../../../../../stages/shared/rl/gae.ts';
import { groupAdvantages, zeroSpreadGroups, type RewardScale } from '../../../../../stages/shared/rl/group-advantages.ts';
import { klPerToken, updateKlCoef } from '../../../../../stages/shared/rl/kl.ts';
import { bradleyTerryLoss, dpoLoss, entropyFromLogits, grpoLoss, ppoPolicyLoss, ppoValueLoss, type DpoLossType, type GrpoAggregation } from '../../../../../stages/shared/rl/losses.ts';
import { pairStats } from '../../../../../stages/shared/rl/pairs.ts';
import { passAtK } from '../../../../../stages/shared/rl/pass-at-k.ts';
import { whitenRows } from '../../../../../stages/shared/rl/whiten.ts';
import { assertClose, loadGolden, nanFromNull } from './golden.ts';

// The fixture shapes are documented in make-golden.py; each case is read field by field below.
type Case = Record<string, any>;
const golden = loadGolden();
const cases = (name: string) => golden[name] as Case[];
// float32 tensors against float64 torch
const F32 = [2e-4, 2e-6] as const;

/** The backend's tf, or undefined after skipping the test when this machine cannot run it (native needs OpenBLAS). */
async function backendOrSkip(t: TestContext, backend: 'cpu' | 'wasm' | 'native'): Promise<TF | undefined> {
  try {
    return (await initTf(backend)).tf;
  } catch (error) {
    t.skip(`${backend} backend unavailable: ${(error as Error).message}`);
    return undefined;
  }
}

/** Padding gets junk the losses must ignore: -inf log-probs and NaN advantages would poison a multiply-by-mask. */
function withJunk(rows: number[][], mask: number[][], junk: number): number[][] {
  return rows.map((row, b) => row.map((x, t) => (mask[b]![t] ? x : junk)));
}

describe(`RL maths against TRL (${golden.origin}: ${golden.source})`, () => {
  it('KL estimators k1, k2, k3', () => {
    for (const c of cases('kl')) {
      for (const k of ['k1', 'k2', 'k3'] as const) assertClose(klPerToken(c.logp, c.refLogp, k), c[k], `kl ${k}`);
    }
  });

  it('adaptive KL coefficient', () => {
    for (const c of cases('adaptiveKl')) assertClose(updateKlCoef(c.coef, c.kl, c.nSteps, { target: c.target, horizon: c.horizon }), c.out, 'kl coef');
  });

  it('GAE advantages and returns', () => {
    for (const c of cases('gae')) {
      const r = gae(c.rewards, c.values, c.gamma, c.lambda);
      assertClose(r.advantages, c.advantages, `gae advantages T=${c.rewards.length}`);
      assertClose(r.returns, c.returns, `gae returns T=${c.rewards.length}`);
    }
  });

  it('whitening over ragged rows (masked_whiten)', () => {
    for (const c of cases('whiten')) {
      const got = whitenRows(c.rows, { shiftMean: c.shiftMean });
      c.out.forEach((row: number[], i: number) => assertClose(got[i]!, row, `whiten row ${i}`, 1e-9, 1e-9));
    }
  });

  it('group advantages and zero-spread groups, with unscorable (NaN) rewards', () => {
    for (const c of cases('groups')) {
      const rewards = nanFromNull(c.rewards);
      // TRL's nanstd divides integer counts, so its Bessel factor is float32: agreement to ~1e-8 relative
      assertClose(groupAdvantages(rewards, c.groupSize, c.scale as RewardScale), c.advantages, `groups G=${c.groupSize} ${c.scale}`, 1e-7, 1e-9);
      assertClose(zeroSpreadGroups(rewards, c.groupSize), c.zeroSpread, 'zero spread');
    }
  });

  it('pass@k', () => {
    for (const c of cases('passAtK')) assertClose(passAtK(c.n, c.c, c.k), c.value, `pass@${c.k} n=${c.n} c=${c.c}`);
  });
});

// The stages train on whichever backend the recipe picks: the losses must agree with TRL on each.
for (const backend of ['cpu', 'wasm', 'native'] as const) {
  describe(`RL losses against TRL on the ${backend} backend (${golden.origin})`, () => {
    it('Bradley–Terry loss with margin and centering, its gradients, accuracy and margin', async (t) => {
      const tf = await backendOrSkip(t, backend);
      if (!tf) return;
      for (const c of cases('reward')) {
        const margin = c.margin ? tf.tensor1d(c.margin) : undefined;
        const f = (ch: Tensor, rj: Tensor) => bradleyTerryLoss(tf, ch, rj, { margin, centeringCoef: c.centeringCoef });
        const [chosen, rejected] = [tf.tensor1d(c.chosen), tf.tensor1d(c.rejected)];
        assertClose(f(chosen, rejected).dataSync(), c.loss, 'BT loss', ...F32);
        const [gc, gr] = tf.grads(f)([chosen, rejected]);
        assertClose(gc!.dataSync(), c.gradChosen, 'BT dL/dchosen', ...F32);
        assertClose(gr!.dataSync(), c.gradRejected, 'BT dL/drejected', ...F32);
        const stats = pairStats(c.chosen, c.rejected);
        assertClose(stats.accuracy, c.accuracy, 'accuracy', 1e-6);
        assertClose(stats.margin, c.margin_metric, 'margin', 1e-9);
      }
    });

    it('DPO sigmoid, cDPO, robust and IPO losses, rewards and gradients', async (t) => {
      const tf = await backendOrSkip(t, backend);
      if (!tf) return;
      for (const c of cases('dpo')) {
        const options = { beta: c.beta, lossType: c.lossType as DpoLossType, labelSmoothing: c.labelSmoothing };
        const rest = { refChosen: tf.tensor1d(c.refChosen), refRejected: tf.tensor1d(c.refRejected), chosenTokens: tf.tensor1d(c.chosenTokens), rejectedTokens: tf.tensor1d(c.rejectedTokens) };
        const f = (pc: Tensor, pr: Tensor) => dpoLoss(tf, { policyChosen: pc, policyRejected: pr, ...rest }, options);
        const [pc, pr] = [tf.tensor1d(c.policyChosen), tf.tensor1d(c.policyRejected)];
        const label = `dpo ${c.lossType} ε=${c.labelSmoothing} β=${c.beta}`;
        const r = f(pc, pr);
        assertClose(r.loss.dataSync(), c.loss, `${label} loss`, ...F32);
        assertClose(tf.mean(r.chosenRewards).dataSync(), c.meanChosenReward, `${label} rewards/chosen`, ...F32);
        assertClose(tf.mean(r.rejectedRewards).dataSync(), c.meanRejectedReward, `${label} rewards/rejected`, ...F32);
        const [gc, gr] = tf.grads((a: Tensor, b: Tensor) => f(a, b).loss)([pc, pr]);
        assertClose(gc!.dataSync(), c.gradPolicyChosen, `${label} dL/dchosen`, ...F32);
        assertClose(gr!.dataSync(), c.gradPolicyRejected, `${label} dL/drejected`, ...F32);
      }
    });

    it('PPO clipped policy loss, clipfrac, approxkl and gradients', async (t) => {
      const tf = await backendOrSkip(t, backend);
      if (!tf) return;
      for (const c of cases('ppoPolicy')) {
        const mask = tf.tensor2d(c.mask);
        const oldLogp = tf.tensor2d(withJunk(c.oldLogp, c.mask, -Infinity));
        const advantages = tf.tensor2d(withJunk(c.advantages, c.mask, NaN));
        const f = (logp: Tensor) => ppoPolicyLoss(tf, { logp, oldLogp, advantages, mask }, c.clipEps);
        const logp = tf.tensor2d(withJunk(c.logp, c.mask, -Infinity));
        const r = f(logp);
        assertClose(r.loss.dataSync(), c.loss, 'pg loss', ...F32);
        assertClose(r.clipfrac.dataSync(), c.clipfrac, 'pg clipfrac', ...F32);
        // TRL averages over all B·T positions (pads add 0); ours over valid tokens only
        const valid = (c.mask as number[][]).flat().reduce((a, b) => a + b, 0);
        assertClose(r.approxkl.dataSync()[0]! * (valid / c.mask.flat().length), c.approxklTrl, 'approxkl', ...F32);
        assertClose(tf.grad((x: Tensor) => f(x).loss)(logp).dataSync(), c.gradLogp.flat(), 'pg dL/dlogp', ...F32);
      }
    });

    it('PPO clipped value loss, clipfrac and gradients', async (t) => {
      const tf = await backendOrSkip(t, backend);
      if (!tf) return;
      for (const c of cases('ppoValue')) {
        const mask = tf.tensor2d(c.mask);
        const [oldValues, returns] = [tf.tensor2d(c.oldValues), tf.tensor2d(withJunk(c.returns, c.mask, NaN))];
        const f = (values: Tensor) => ppoValueLoss(tf, { values, oldValues, returns, mask }, c.clipRange);
        const values = tf.tensor2d(withJunk(c.values, c.mask, 1e30));
        const r = f(values);
        assertClose(r.loss.dataSync(), c.loss, 'vf loss', ...F32);
        assertClose(r.clipfrac.dataSync(), c.clipfrac, 'vf clipfrac', ...F32);
        assertClose(tf.grad((x: Tensor) => f(x).loss)(values).dataSync(), c.gradValues.flat(), 'vf dL/dvalues', ...F32);
      }
    });

    it('GRPO loss (grpo, dapo, bnpo, dr_grpo; k3 KL; asymmetric clip), metrics and gradients', async (t) => {
      const tf = await backendOrSkip(t, backend);
      if (!tf) return;
      for (const c of cases('grpo')) {
        const mask = tf.tensor2d(c.mask);
        const [oldLogp, refLogp] = [tf.tensor2d(withJunk(c.oldLogp, c.mask, -Infinity)), tf.tensor2d(withJunk(c.refLogp, c.mask, NaN))];
        const options = { epsLow: c.epsLow, epsHigh: c.epsHigh, beta: c.beta, aggregation: c.aggregation as GrpoAggregation, maxTokens: c.maxTokens };
        const f = (logp: Tensor) => grpoLoss(tf, { logp, oldLogp, refLogp, advantages: tf.tensor1d(c.advantages), mask }, options);
        const logp = tf.tensor2d(withJunk(c.logp, c.mask, -Infinity));
        const r = f(logp);
        const label = `grpo ${c.aggregation} β=${c.beta}`;
        assertClose(r.loss.dataSync(), c.loss, `${label} loss`, ...F32);
        assertClose(r.kl!.dataSync(), c.kl, `${label} kl`, ...F32);
        assertClose(r.clipRatio.low.dataSync(), c.clipLow, `${label} clip_ratio/low_mean`, ...F32);
        assertClose(r.clipRatio.high.dataSync(), c.clipHigh, `${label} clip_ratio/high_mean`, ...F32);
        assertClose(r.clipRatio.region.dataSync(), c.clipRegion, `${label} clip_ratio/region_mean`, ...F32);
        assertClose(tf.grad((x: Tensor) => f(x).loss)(logp).dataSync(), c.gradLogp.flat(), `${label} dL/dlogp`, ...F32);
      }
    });

    it('entropy from logits', async (t) => {
      const tf = await backendOrSkip(t, backend);
      if (!tf) return;
      for (const c of cases('entropy')) assertClose(entropyFromLogits(tf, tf.tensor2d(c.logits)).dataSync(), c.entropy, 'entropy', ...F32);
    });
  });
}
