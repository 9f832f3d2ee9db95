// The report page from what the stage gathered: the samples table first (the story in one look), then
// one section per stage (what it did, its numbers, its curves, its evaluation), then the stage graph.
import type { UpstreamStage } from '../../engine/stage.ts';
import { curveCharts, renderSvg, type Chart } from './charts.ts';
import { accuracyChart, accuracyTable, driftTable, passAtKTable } from './evaluation.ts';
import { graphChart, graphTable } from './graph.ts';
import { esc, figure, page, table } from './html.ts';
import type { SampleRow } from './samples.ts';
import type { Section } from './sections.ts';

export interface ReportContent {
  title: string;
  sections: readonly Section[];
  prompts: readonly string[];
  samples: readonly SampleRow[];
  /** Every stage upstream of the report, in run order. */
  upstream: readonly UpstreamStage[];
  /** Where chart warnings go (a spec Vega-Lite had to correct). */
  warn(message: string): void;
}

/** Metrics shown as a stage's key numbers: per-task breakdowns (`task.model`) stay in the evaluation tables. */
const KEY_NUMBERS = 16;

/** Longer answers (a random model's babble) are cut here in the table; the whole answer shows on hover. */
const SAMPLE_CHARS = 160;

const formatNumber = (x: number) => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 0.001 && Math.abs(x) < 1e6 ? x.toPrecision(4) : x.toExponential(3));

export async function renderReport(content: ReportContent): Promise<{ html: string; charts: number }> {
  let charts = 0;
  const draw = async (chart: Chart) => {
    charts++;
    return figure(chart.title, await renderSvg(chart.spec, content.warn), chart.data);
  };
  const body: string[] = [];
  body.push('<h2 id="samples">The same prompts after each stage</h2>', samplesTable(content));
  for (const section of content.sections) body.push(await stageSection(section, draw));
  if (content.upstream.length > 0) {
    body.push('<h2 id="graph">Stage graph</h2>', '<p class="note">Cache status as the run found it when this report was built: ran (computed by that run) or cached (reused).</p>');
    body.push(`<div class="charts">${await draw(graphChart(content.upstream))}</div>`, graphTable(content.upstream));
  }
  const subtitle = `${content.sections.length} stages reported: ${content.sections.map((s) => s.name).join(' → ')}`;
  return { html: page(content.title, subtitle, body), charts };
}

function samplesTable({ prompts, samples }: ReportContent): string {
  if (samples.length === 0) return '<p class="note">No model among the inputs, or no prompts.</p>';
  const shown = (a: string) => (a === '' ? '(empty)' : a.length <= SAMPLE_CHARS ? a : { text: `${a.slice(0, SAMPLE_CHARS)}…`, title: a });
  return table(['stage', ...prompts], samples.map((row) => [row.section, ...row.answers.map(shown)]), 'samples');
}

async function stageSection(section: Section, draw: (chart: Chart) => Promise<string>): Promise<string> {
  const { stage } = section;
  const parts = [`<section class="stage-section" id="stage-${esc(section.name)}">`, `<h2>${esc(section.name)}${stage ? ` <span class="sub">(uses ${esc(stage.uses)})</span>` : ''}</h2>`];
  if (stage) {
    parts.push(`<p>${esc(stage.description)}</p>`);
  }
  const numbers = Object.entries(stage?.metrics ?? {}).filter(([name]) => !name.includes('.')).slice(0, KEY_NUMBERS);
  const charts = [...(section.curve ? curveCharts(section.curve) : []), ...(section.evaluation ? [accuracyChart(section.evaluation)] : [])];
  parts.push('<div class="charts">');
  if (numbers.length) parts.push(table(['metric', 'value'], numbers.map(([name, value]) => [name, { text: formatNumber(value), value }]), 'key-numbers'));
  parts.push(...(await Promise.all(charts.map(draw))), '</div>');
  if (section.evaluation) parts.push('<h3>Held-out exact match per task</h3>', accuracyTable(section.evaluation), passAtKTable(section.evaluation), driftTable(section.evaluation));
  if (section.heldOut) {
    const { tasks, overall } = section.heldOut;
    const cell = (s: { correct: number; total: number; accuracy: number }) => ({ text: `${s.correct}/${s.total} (${(s.accuracy * 100).toFixed(1)}%)`, value: s.accuracy });
    parts.push('<h3>Held-out exact match at the end of the stage</h3>', table(['task', 'exact match'], [...Object.entries(tasks).sort().map(([t, s]) => [t, cell(s)]), ['all', cell(overall)]], 'held-out'));
  }
  parts.push('</section>');
  return parts.join('\n');
}
