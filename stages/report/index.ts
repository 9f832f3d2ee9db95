// `uses: report` — one self-contained HTML page of a pipeline run: the same prompts answered by the model
// after each stage, each stage's numbers and curves as charts, the held-out tables with chance and pass@k,
// and the stage graph with keys, times, backends and versions. A cached stage like any other: its key
// covers the artifacts it reads, so a rerun that changes one stage changes only that section's inputs.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defineStage } from '../../engine/stage.ts';
import { renderReport } from './render.ts';
import { answerPrompts } from './samples.ts';
import { reportSchema } from './schema.ts';
import { readSections } from './sections.ts';

export default defineStage({
  name: 'report',
  version: 1,
  description: 'One self-contained HTML report of the stages it reads: samples after each stage, curves, held-out tables, the stage graph.',
  headline: ['stages', 'charts'],
  schema: reportSchema,
  outputs: () => ({ html: { kind: 'file', document: true, recordsTheRun: true, description: 'report.html: opens offline, no script; it shows each stage\'s time and cache status, so a rerun writes other bytes' } }),
  async run(ctx, p) {
    const sections = await readSections(ctx.inputs, ctx.upstream);
    const { rows, backend } = await answerPrompts(ctx, sections, p.prompts, p.sampling);
    const { html, charts } = await renderReport({ title: p.title ?? `${ctx.stage}: the pipeline in one page`, sections, prompts: p.prompts, samples: rows, upstream: ctx.upstream, warn: ctx.log.warn });
    await writeFile(path.join(ctx.outDir, 'report.html'), html);
    ctx.log.info(`${sections.length} stages, ${charts} charts, ${rows.length} sample rows`);
    return { metrics: { stages: sections.length, charts, sampleRows: rows.length }, artifacts: { html: 'report.html' }, info: backend ? { backend } : ({} as Record<string, string>) };
  },
});
