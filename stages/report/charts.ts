// A curve's columns as charts, whatever the stage logged: known metric names (tempa's and TRL's) share a
// chart with their kin (loss beside validation loss; reward, its spread and per-function means; KL;
// entropy; clip fractions...), anything else gets a chart of its own. Vega-Lite specs rendered to SVG by
// Vega in Node, so the page needs no script to show them.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CurveRow } from './sections.ts';

/** One drawn point: the long form Vega-Lite plots, one row per (step, metric) the curve has a number for. */
export interface ChartPoint {
  step: number;
  metric: string;
  value: number;
}

export interface Chart {
  title: string;
  metrics: string[];
  data: ChartPoint[];
  spec: TopLevelSpec;
}

/** Ordered: a metric joins the first group whose test matches (accuracy before reward: `rewards/accuracies`). */
const GROUPS: ReadonlyArray<{ title: string; test: RegExp }> = [
  { title: 'Loss', test: /(^|\/)loss$|^loss\/|Loss$/ },
  { title: 'Accuracy', test: /accurac/i },
  { title: 'Answer length', test: /length|^completions\//i },
  { title: 'Reward', test: /reward|score|margin/i },
  { title: 'KL', test: /(^|\/|_)(approx)?kl$/i },
  { title: 'Entropy', test: /entropy/i },
  { title: 'Clip fraction', test: /clip/i },
  { title: 'Log-probabilities', test: /(^|\/)logps?(\/|$)/i },
  { title: 'Learning rate', test: /^lr$|learning_rate/i },
  { title: 'Gradient norm', test: /grad_?norm/i },
];

/** A series with at most this many points is drawn with dots too: evaluation columns have a few. */
const SPARSE = 60;

/** Charts of every numeric column but `step`, known groups first, in GROUPS order, then the rest by name. */
export function curveCharts(rows: readonly CurveRow[]): Chart[] {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((c) => c !== 'step');
  const grouped = new Map<string, string[]>();
  const own: string[] = [];
  for (const column of columns) {
    const group = GROUPS.find((g) => g.test.test(column));
    if (group) grouped.set(group.title, [...(grouped.get(group.title) ?? []), column]);
    else own.push(column);
  }
  const charts = GROUPS.filter((g) => grouped.has(g.title)).map((g) => chartOf(g.title, grouped.get(g.title)!, rows));
  return [...charts, ...own.sort().map((column) => chartOf(column, [column], rows))];
}

function chartOf(title: string, metrics: string[], rows: readonly CurveRow[]): Chart {
  const data = chartData(rows, metrics);
  const counts = new Map(metrics.map((m) => [m, data.filter((p) => p.metric === m).length]));
  const sparse = metrics.filter((m) => counts.get(m)! <= SPARSE);
  const encoding = {
    x: { field: 'step', type: 'quantitative', title: 'step' },
    y: { field: 'value', type: 'quantitative', title: null, scale: title !== 'Learning rate' && spansDecades(data) ? { type: 'log' } : { zero: false } },
    color: { field: 'metric', type: 'nominal', title: null, sort: metrics, legend: { orient: 'bottom', columns: 1, labelLimit: 260 } },
  } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 230,
    height: 150,
    data: { values: data },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.5 }, encoding },
      ...(sparse.length ? [{ transform: [{ filter: { field: 'metric', oneOf: sparse } }], mark: { type: 'point', filled: true, size: 24 }, encoding }] : []),
    ],
  } as TopLevelSpec;
  return { title, metrics, data, spec };
}

/** Positive values over more than a 20-fold range (a loss falling from 7 to 0.1): drawn on a log scale, or the fall hides the rest (not the learning rate: its warm-up from ~0 would fill the chart). */
function spansDecades(data: readonly ChartPoint[]): boolean {
  const values = data.map((p) => p.value);
  return values.length > 0 && Math.min(...values) > 0 && Math.max(...values) / Math.min(...values) > 20;
}

/** The points a chart of `metrics` draws: every finite number of those columns, in row order. */
export function chartData(rows: readonly CurveRow[], metrics: readonly string[]): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (const row of rows) {
    for (const metric of metrics) {
      const value = row[metric];
      if (typeof value === 'number' && Number.isFinite(value)) points.push({ step: row.step, metric, value });
    }
  }
  return points;
}

let rendered = 0;

/** Vega's and Vega-Lite's logger interface, handing warnings and errors to `warn` instead of the console. */
function loggerTo(warn: (message: string) => void) {
  let level = 2;
  const say = (...args: unknown[]) => (warn(args.map(String).join(' ')), logger);
  const logger = { level: (l?: number) => (l === undefined ? level : ((level = l), logger)), error: say, warn: say, info: () => logger, debug: () => logger };
  return logger as never;
}

/** The chart as inline SVG; its element ids get a prefix unique in this process, so many charts share a page. */
export async function renderSvg(spec: TopLevelSpec, warn: (message: string) => void): Promise<string> {
  const logger = loggerTo((m) => warn(`chart "${String(spec.title)}": ${m}`));
  const view = new View(parse(compile(spec, { logger }).spec), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    const prefix = `c${++rendered}-`;
    return svg.replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`).replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
  } finally {
    view.finalize();
  }
}
