// An evaluation as the report shows it: held-out exact match per task and model beside the chance
// baselines, pass@k from sampled answers, drift, and a bar chart of the same accuracies.
import type { TopLevelSpec } from 'vega-lite';
import type { Score } from '../shared/eval/task-accuracy.ts';
import type { Chart } from './charts.ts';
import { table, type Cell } from './html.ts';
import type { Evaluation } from './sections.ts';

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const score = (s: Score | undefined): Cell => (s ? { text: `${s.correct}/${s.total} (${percent(s.accuracy)})`, value: s.accuracy } : '-');

/** Exact match per task (rows) for chance and each model (columns), then `all`. */
export function accuracyTable(evaluation: Evaluation): string {
  const { chance, models } = evaluation;
  const tasks = [...new Set(models.flatMap((m) => Object.keys(m.report.tasks)))].sort();
  const chanceCells = (b: { majority: Score; random: number } | undefined): Cell[] => (chance === undefined ? [] : b === undefined ? ['-', '-'] : [score(b.majority), percent(b.random)]);
  return table(
    ['task', ...(chance ? ['always-most-common', 'random-answer'] : []), ...models.map((m) => m.label)],
    [...tasks.map((task) => [task, ...chanceCells(chance?.tasks[task]), ...models.map((m) => score(m.report.tasks[task]))]), ['all', ...chanceCells(chance?.overall), ...models.map((m) => score(m.report.overall))]],
    'accuracy',
  );
}

/** pass@k per task and model; empty when no model sampled. */
export function passAtKTable(evaluation: Evaluation): string {
  const sampled = evaluation.models.filter((m) => m.passAtK !== undefined);
  const first = sampled[0]?.passAtK;
  if (!first) return '';
  const ks = first.overall.map((_, i) => `pass@${i + 1}`);
  const tasks = [...Object.keys(first.tasks).sort(), 'all'];
  const rows = tasks.flatMap((task) =>
    sampled.map((m, i) => {
      const values = task === 'all' ? m.passAtK!.overall : m.passAtK!.tasks[task];
      return [i === 0 ? task : '', m.label, ...(values ? values.map(percent) : ks.map(() => '-'))];
    }),
  );
  return `<p class="note">${first.samples} sampled answers per prompt at temperature ${first.temperature}; unbiased pass@k (Chen et al. 2021).</p>${table(['task', 'model', ...ks], rows, 'pass-at-k')}`;
}

/** Answer length, reward score and KL to the baseline per model; empty without drift. */
export function driftTable(evaluation: Evaluation): string {
  const measured = evaluation.models.filter((m) => m.drift !== undefined);
  if (measured.length === 0) return '';
  const number = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
  return table(
    ['model', 'exact match', 'answer tokens', 'reward score', 'KL to baseline'],
    measured.map((m) => [m.label, percent(m.report.overall.accuracy), number(m.drift!.answerTokens), number(m.drift!.rewardScore), number(m.drift!.klToBaseline)]),
    'drift',
  );
}

/** Accuracy per task, one bar per model, with a tick where always answering the commonest answer lands. */
export function accuracyChart(evaluation: Evaluation): Chart {
  const { chance, models } = evaluation;
  const tasks = [...new Set(models.flatMap((m) => Object.keys(m.report.tasks)))].sort();
  const data = models.flatMap((m) => [...tasks, 'all'].flatMap((task) => {
    const s = task === 'all' ? m.report.overall : m.report.tasks[task];
    return s ? [{ step: 0, metric: m.label, task, value: s.accuracy }] : [];
  }));
  const ticks = chance ? [...tasks.map((task) => ({ task, value: chance.tasks[task]?.majority.accuracy ?? 0 })), { task: 'all', value: chance.overall.majority.accuracy }] : [];
  const x = { field: 'task', type: 'nominal', title: null, sort: [...tasks, 'all'], axis: { labelAngle: -30 } } as const;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Held-out exact match (tick: always the most common answer)',
    width: (tasks.length + 1) * (16 * Math.max(1, models.length) + 14),
    height: 170,
    layer: [
      {
        data: { values: data },
        mark: { type: 'bar' },
        encoding: { x, xOffset: { field: 'metric', type: 'nominal', sort: models.map((m) => m.label) }, y: { field: 'value', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] }, axis: { format: '%' } }, color: { field: 'metric', type: 'nominal', title: null, sort: models.map((m) => m.label), legend: { orient: 'bottom' } } },
      },
      ...(ticks.length ? [{ data: { values: ticks }, mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { x, y: { field: 'value', type: 'quantitative' } } }] : []),
    ],
  } as TopLevelSpec;
  return { title: 'Held-out exact match', metrics: models.map((m) => m.label), data, spec };
}
