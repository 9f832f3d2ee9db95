// Finite-difference check of every parameter kind's gradient (embedding, positions, LayerNorm weight
// and bias, attention qkv and projection, MLP fc and projection, untied head), in float32 on the pure-JS
// cpu backend. Parameters are first moved to a random point with O(1) entries, so attention is far from
// uniform and every path carries gradient; the loss uses a mask and an ignored target.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { gptLoss, gptLossAndGrads, initGPT, type GPTConfig, type GPTParams } from '../../../../stages/shared/model/gpt.ts';
import { initTf, type TF } from '../../../../stages/shared/backend/tf.ts';
import { batchTensors, rng, TINY } from './tiny.ts';

/** Central-difference step: large enough that float32 rounding of the loss (~3e-7) stays below 1e-4. */
const H = 1e-2;
const COORDS_PER_TENSOR = 6;
/** |analytic - numeric| <= ATOL + RTOL * max(|analytic|, |numeric|) at every checked coordinate. */
const RTOL = 1e-2;
const ATOL = 1e-4;

let tf: TF;
before(async () => {
  ({ tf } = await initTf('cpu'));
});

function randomize(params: GPTParams, seed: number): void {
  const random = rng(seed);
  for (const [name, p] of Object.entries(params)) {
    const center = /ln_\w+\.weight$/.test(name) ? 1 : 0;
    const scale = name.includes('attn.c_attn') ? 0.6 : 0.3;
    const values = Float32Array.from({ length: p.size }, () => center + scale * (2 * random() - 1));
    tf.tidy(() => p.assign(tf.tensor(values, p.shape)));
  }
}

function checkGradients(config: GPTConfig): Array<{ name: string; worst: number; checked: number }> {
  const params = initGPT(tf, config, 7);
  randomize(params, 11);
  const { idx, targets, mask } = batchTensors(tf);
  const lossAt = (): number => tf.tidy(() => gptLoss(tf, params, config, idx, targets, mask).dataSync()[0]!);
  const { loss, grads } = gptLossAndGrads(tf, params, config, idx, targets, mask);
  const random = rng(3);
  const report: Array<{ name: string; worst: number; checked: number }> = [];
  for (const [name, p] of Object.entries(params)) {
    const analytic = grads[name]!.dataSync();
    const values = p.dataSync().slice() as Float32Array;
    const coords = Array.from({ length: COORDS_PER_TENSOR }, () => Math.floor(random() * p.size));
    if (name.includes('c_attn.weight')) {
      // One coordinate in each of the q, k and v column blocks.
      const C = config.nEmbd;
      const at = (row: number, col: number) => row * 3 * C + col;
      coords.push(at(1, 1), at(2, C + 2), at(7, 2 * C + 3));
    }
    let worst = 0;
    for (const i of coords) {
      const set = (value: number) => {
        const copy = values.slice();
        copy[i] = value;
        tf.tidy(() => p.assign(tf.tensor(copy, p.shape)));
      };
      set(values[i]! + H);
      const plus = lossAt();
      set(values[i]! - H);
      const minus = lossAt();
      set(values[i]!);
      const numeric = (plus - minus) / (2 * H);
      const a = analytic[i]!;
      const excess = Math.abs(a - numeric) / (ATOL + RTOL * Math.max(Math.abs(a), Math.abs(numeric)));
      worst = Math.max(worst, excess);
    }
    report.push({ name, worst, checked: coords.length });
  }
  tf.dispose([loss, idx, targets, mask, ...Object.values(grads), ...Object.values(params)]);
  return report;
}

function assertReport(report: Array<{ name: string; worst: number }>, expectedNames: string[]): void {
  for (const name of expectedNames) assert.ok(report.some((r) => r.name === name), `${name} was checked`);
  const failures = report.filter((r) => !(r.worst <= 1));
  assert.deepEqual(
    failures.map((r) => `${r.name}: error ${r.worst.toFixed(2)}x tolerance`),
    [],
  );
}

describe('finite-difference gradients (cpu, float32)', () => {
  it('match for every parameter of the tied, learned-position model', () => {
    const report = checkGradients(TINY);
    assertReport(report, [
      'wte.weight',
      'wpe.weight',
      'h.0.ln_1.weight',
      'h.0.ln_1.bias',
      'h.0.attn.c_attn.weight',
      'h.0.attn.c_attn.bias',
      'h.0.attn.c_proj.weight',
      'h.0.attn.c_proj.bias',
      'h.0.ln_2.weight',
      'h.0.ln_2.bias',
      'h.0.mlp.c_fc.weight',
      'h.0.mlp.c_fc.bias',
      'h.0.mlp.c_proj.weight',
      'h.0.mlp.c_proj.bias',
      'ln_f.weight',
      'ln_f.bias',
    ]);
  });

  it('match for the untied head and rotary positions', () => {
    const report = checkGradients({ ...TINY, tieWeights: false, positions: 'rotary' });
    assertReport(report, ['wte.weight', 'lm_head.weight', 'h.0.attn.c_attn.weight']);
    assert.ok(!report.some((r) => r.name === 'wpe.weight'), 'rotary has no wpe');
  });
});
