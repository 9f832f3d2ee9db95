// The report's charts of a curve: known metric names (tempa's, TRL's GRPO/PPO/DPO) grouped with their
// kin, unknown columns charted alone, every finite number drawn once, and SVG with marks and page-unique ids.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chartData, curveCharts, renderSvg } from '../../../../stages/report/charts.ts';
import type { CurveRow } from '../../../../stages/report/sections.ts';

const GRPO_ROW = {
  loss: 0.1, lr: 1e-5, gradNorm: 0.5, reward: 0.4, reward_std: 0.2, 'rewards/correct/mean': 0.4, 'rewards/format/mean': 0.9,
  kl: 0.01, entropy: 1.2, 'clip_ratio/region_mean': 0.02, 'clip_ratio/low_mean': 0.01, 'completions/mean_length': 14, 'completions/clipped_ratio': 0.1, frac_reward_zero_std: 0.3, tokensSeen: 9,
};

describe('curveCharts', () => {
  it('groups TRL and tempa metric names into one chart per kind, known kinds first, the rest alone by name', () => {
    const rows: CurveRow[] = [1, 2, 3].map((step) => ({ step, ...GRPO_ROW }));
    const charts = curveCharts(rows);
    assert.deepEqual(
      charts.map((c) => [c.title, c.metrics]),
      [
        ['Loss', ['loss']],
        ['Answer length', ['completions/mean_length', 'completions/clipped_ratio']],
        ['Reward', ['reward', 'reward_std', 'rewards/correct/mean', 'rewards/format/mean', 'frac_reward_zero_std']],
        ['KL', ['kl']],
        ['Entropy', ['entropy']],
        ['Clip fraction', ['clip_ratio/region_mean', 'clip_ratio/low_mean']],
        ['Learning rate', ['lr']],
        ['Gradient norm', ['gradNorm']],
        ['tokensSeen', ['tokensSeen']],
      ],
    );
  });

  it('puts validation loss beside loss and DPO accuracies apart from rewards, and skips missing numbers', () => {
    const rows: CurveRow[] = [
      { step: 1, loss: 2, 'rewards/accuracies': 0.5, 'rewards/margins': 0.1 },
      { step: 2, loss: 1.5, valLoss: 1.7, 'rewards/accuracies': 0.75, 'rewards/margins': Number.NaN },
    ];
    const titles = Object.fromEntries(curveCharts(rows).map((c) => [c.title, c.metrics]));
    assert.deepEqual(titles, { Loss: ['loss', 'valLoss'], Accuracy: ['rewards/accuracies'], Reward: ['rewards/margins'] });
    assert.deepEqual(chartData(rows, ['loss', 'valLoss', 'rewards/margins']), [
      { step: 1, metric: 'loss', value: 2 },
      { step: 1, metric: 'rewards/margins', value: 0.1 },
      { step: 2, metric: 'loss', value: 1.5 },
      { step: 2, metric: 'valLoss', value: 1.7 },
    ]);
  });

  it('draws a loss falling 70-fold on a log scale, and a flat one on a linear scale, without warnings', async () => {
    const warnings: string[] = [];
    const scaleOf = async (losses: number[]) => {
      const { spec } = curveCharts(losses.map((loss, i) => ({ step: i, loss })))[0]!;
      await renderSvg(spec, (m) => warnings.push(m));
      return JSON.stringify(spec).includes('"type":"log"') ? 'log' : 'linear';
    };
    assert.equal(await scaleOf([7, 1, 0.1]), 'log');
    assert.equal(await scaleOf([7, 5, 4]), 'linear');
    assert.deepEqual(warnings, []);
  });
});

describe('renderSvg', () => {
  it('renders marks without warnings, with ids no other chart on the page shares', async () => {
    const warnings: string[] = [];
    const [chart] = curveCharts([1, 2, 3, 4].map((step) => ({ step, loss: 5 - step })));
    // Clipped marks are what give Vega's SVG element ids (clip paths).
    const spec = JSON.parse(JSON.stringify(chart!.spec).replace('"type":"line"', '"type":"line","clip":true'));
    const [a, b] = [await renderSvg(spec, (m) => warnings.push(m)), await renderSvg(spec, (m) => warnings.push(m))];
    assert.deepEqual(warnings, []);
    assert.match(a, /^<svg[\s\S]*class="mark-line role-mark[\s\S]*<path[^>]* d="M[^"]+"/);
    const ids = (svg: string) => [...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(ids(a).length > 0);
    assert.deepEqual(ids(a).filter((id) => ids(b).includes(id)), []);
    for (const ref of a.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids(a).includes(ref[1]), `${ref[1]} refers to an id of this chart`);
  });
});
