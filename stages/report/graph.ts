// The stage graph as the run found it when the report was built: a drawing (stages in columns by depth,
// coloured by cache status) and a table of each stage's key, time, backend and the versions that made it.
import type { TopLevelSpec } from 'vega-lite';
import type { UpstreamStage } from '../../engine/stage.ts';
import type { Chart } from './charts.ts';
import { table } from './html.ts';

const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** Columns by longest path from a stage without upstream; rows in run order within a column. */
export function graphChart(stages: readonly UpstreamStage[]): Chart {
  const depth = new Map<string, number>();
  for (const s of stages) depth.set(s.name, Math.max(0, ...s.needs.map((n) => (depth.get(n) ?? -1) + 1)));
  const rowIn = new Map<number, number>();
  const nodes = stages.map((s) => {
    const x = depth.get(s.name)!;
    const y = rowIn.get(x) ?? 0;
    rowIn.set(x, y + 1);
    return { name: s.name, x, y, status: s.status };
  });
  const at = new Map(nodes.map((n) => [n.name, n]));
  const edges = stages.flatMap((s) => s.needs.filter((n) => at.has(n)).map((n) => ({ x: at.get(n)!.x, y: at.get(n)!.y, x2: at.get(s.name)!.x, y2: at.get(s.name)!.y })));
  const axisless = { axis: null, scale: { domain: [-0.5, Math.max(...nodes.map((n) => n.x), 0) + 0.7] } };
  const rows = { axis: null, scale: { domain: [Math.max(...nodes.map((n) => n.y), 0) + 0.5, -0.5] } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Stage graph',
    width: 150 * (Math.max(...nodes.map((n) => n.x), 0) + 1),
    height: 46 * (Math.max(...nodes.map((n) => n.y), 0) + 1),
    layer: [
      { data: { values: edges }, mark: { type: 'rule', color: '#999' }, encoding: { x: { field: 'x', type: 'quantitative', ...axisless }, y: { field: 'y', type: 'quantitative', ...rows }, x2: { field: 'x2' }, y2: { field: 'y2' } } },
      {
        data: { values: nodes },
        mark: { type: 'circle', size: 140, opacity: 1 },
        encoding: {
          x: { field: 'x', type: 'quantitative', ...axisless },
          y: { field: 'y', type: 'quantitative', ...rows },
          color: { field: 'status', type: 'nominal', title: 'when the report was built', scale: { domain: ['ran', 'cached'], range: ['#e4572e', '#4c78a8'] }, legend: { orient: 'bottom' } },
        },
      },
      { data: { values: nodes }, mark: { type: 'text', align: 'left', dx: 9, dy: -9, fontSize: 11 }, encoding: { x: { field: 'x', type: 'quantitative', ...axisless }, y: { field: 'y', type: 'quantitative', ...rows }, text: { field: 'name' } } },
    ],
    config: { view: { stroke: null } },
  } as TopLevelSpec;
  return { title: 'Stage graph', metrics: nodes.map((n) => n.name), data: nodes.map((n) => ({ step: n.x, metric: n.name, value: n.y })), spec };
}

/** One row per stage: what made its result, and whether this run computed it or found it cached. */
export function graphTable(stages: readonly UpstreamStage[]): string {
  const rows = stages.map((s) => {
    const info = Object.entries(s.info).filter(([k]) => k !== 'backend').map(([k, v]) => `${k} ${v}`);
    return [
      s.name,
      s.uses,
      s.needs.join(', ') || '-',
      s.status,
      { text: s.key.slice(0, 12), title: s.key },
      seconds(s.durationMs),
      s.info.backend ?? '-',
      [`${s.plugin.name} v${s.plugin.version}`, `code ${s.plugin.code.slice(0, 12)}`, ...info].join('; '),
      s.createdAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
    ];
  });
  return table(['stage', 'uses', 'needs', 'status', 'key', 'time', 'backend', 'versions', 'computed at'], rows, 'graph');
}
