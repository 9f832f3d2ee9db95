// What a sweep ends with: one table row per variant (its swept values, how many stages it ran and
// reused, then the headline metrics of the stages that differ between variants), the reasons of failed
// variants, and one summary line. The same facts as JSON for `--json`.
import { errorText, PipelineError, RecipeErrors } from '../errors.ts';
import type { StageOutcome } from '../events.ts';
import { formatMetric } from '../ui-lines.ts';
import { columnNames, variantLabel, type Axis } from './grid.ts';
import type { VariantResult } from './run-sweep.ts';
import { stageIdentities } from './variants.ts';

/** Metrics shown for a stage whose plugin names no headline (as `tempa run`'s summary does). */
const DEFAULT_HEADLINE = 2;

interface Shape {
  swept: Axis[];
  columns: Map<string, string>;
  /** Stages computed differently by some variants, in run order: their metrics are the table's point. */
  varying: string[];
  /** Stages every variant computes the same way. */
  common: string[];
  /** stage -> the metric names shown for it. */
  metrics: Map<string, string[]>;
}

function shapeOf(results: readonly VariantResult[], axes: readonly Axis[]): Shape {
  const swept = axes.filter((a) => a.values.length > 1);
  const ids = results.map((r) => stageIdentities(r.recipe));
  const stages = results[0]?.recipe.stages ?? [];
  const varying = stages.filter((s) => new Set(ids.map((m) => m.get(s.name))).size > 1);
  const metrics = new Map<string, string[]>();
  for (const stage of varying) {
    const reported = results.flatMap((r) => Object.keys(r.outcomes.find((o) => o.name === stage.name)?.metrics ?? {}));
    const headline = stage.plugin.stage.headline;
    const names = headline ? headline.filter((n) => reported.includes(n)) : [...new Set(reported)].slice(0, DEFAULT_HEADLINE);
    if (names.length) metrics.set(stage.name, names);
  }
  return {
    swept,
    columns: columnNames(swept.map((a) => a.path)),
    varying: varying.map((s) => s.name),
    common: stages.filter((s) => !varying.includes(s)).map((s) => s.name),
    metrics,
  };
}

const count = (outcomes: readonly StageOutcome[], status: StageOutcome['status']) => outcomes.filter((o) => o.status === status).length;

/** Why a variant failed, in one line, and the hint that came with it: its own error, else its first failed stage's. */
export function failureOf(result: VariantResult): { reason: string; hint?: string } | undefined {
  if (result.ok) return undefined;
  const failed = result.outcomes.find((o) => o.status === 'failed' && o.error);
  const error = result.error ?? failed?.error;
  if (error instanceof RecipeErrors) return { reason: error.errors.map((e) => e.message).join('; '), hint: error.errors[0]?.hint };
  if (error !== undefined) return { reason: errorText(error).split('\n')[0]!, hint: error instanceof PipelineError ? error.hint : undefined };
  const skipped = result.outcomes.find((o) => o.status === 'skipped');
  return { reason: skipped ? `${skipped.name} skipped: ${skipped.reasons.join('; ')}` : 'failed' };
}

/** `run` / `cached` / `shared` counts of a variant: real outcomes, or a dry run's plan. */
function tally(result: VariantResult): { ran: number; reused: number; failed: number } {
  if (result.plan) {
    const planned = Object.values(result.plan);
    return { ran: planned.filter((p) => p.planned === 'run').length, reused: planned.filter((p) => p.planned !== 'run').length, failed: count(result.outcomes, 'failed') };
  }
  return { ran: count(result.outcomes, 'ran'), reused: count(result.outcomes, 'cached'), failed: count(result.outcomes, 'failed') + count(result.outcomes, 'skipped') };
}

function renderTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function sweepTable(results: readonly VariantResult[], axes: readonly Axis[], dryRun = false): string[] {
  const shape = shapeOf(results, axes);
  const metricColumns = [...shape.metrics].flatMap(([stage, names]) => names.map((n) => [stage, n] as const));
  const header = ['#', ...shape.swept.map((a) => shape.columns.get(a.path)!), 'status', dryRun ? 'would run' : 'ran', 'reused', ...metricColumns.map(([s, n]) => `${s}.${n}`)];
  const rows = results.map((r) => {
    const metricsOf = (stage: string) => r.outcomes.find((o) => o.name === stage)?.metrics ?? {};
    const { ran, reused } = tally(r);
    return [
      String(r.variant.index),
      ...shape.swept.map((a) => r.variant.values[a.path]!),
      r.ok ? (dryRun ? 'planned' : 'ok') : 'failed',
      String(ran),
      String(reused),
      ...metricColumns.map(([stage, n]) => (n in metricsOf(stage) ? formatMetric(metricsOf(stage)[n]!) : '-')),
    ];
  });
  const lines = renderTable(header, rows);
  const failures = results.filter((r) => !r.ok);
  if (failures.length) lines.push('');
  for (const r of failures) {
    const { reason, hint } = failureOf(r)!;
    lines.push(`variant ${r.variant.index} (${variantLabel(r.variant, shape.columns)}) failed: ${reason}`, ...(hint ? [`  hint: ${hint}`] : []));
  }
  lines.push('', summaryLine(results, shape, dryRun));
  return lines;
}

function summaryLine(results: readonly VariantResult[], shape: Shape, dryRun: boolean): string {
  const totals = results.map(tally).reduce((a, t) => ({ ran: a.ran + t.ran, reused: a.reused + t.reused, failed: a.failed + t.failed }), { ran: 0, reused: 0, failed: 0 });
  const bad = results.filter((r) => !r.ok).length;
  const variants = `${results.length} variant${results.length === 1 ? '' : 's'}${bad ? ` (${bad} failed)` : ''}`;
  const stages = dryRun ? `${totals.ran} stage runs would run, ${totals.reused} would be reused` : `${totals.ran} stage runs ran, ${totals.reused} reused from the store${totals.failed ? `, ${totals.failed} failed or skipped` : ''}`;
  const common = shape.common.length && results.length > 1 ? `; the same in every variant: ${shape.common.join(', ')}` : '';
  return `${variants}: ${stages}${common}`;
}

/** The sweep as data: every variant's values, lock, outcome per stage (metrics included), and the totals. */
export function sweepJson(results: readonly VariantResult[], axes: readonly Axis[], dryRun = false): unknown {
  const shape = shapeOf(results, axes);
  const variants = results.map((r) => ({
    index: r.variant.index,
    values: r.variant.values,
    sets: r.variant.sets,
    ok: r.ok,
    error: failureOf(r)?.reason,
    lockFile: dryRun ? undefined : r.lockFile,
    ...tally(r),
    stages: r.outcomes.map((o) => ({
      name: o.name,
      status: r.plan?.[o.name]?.planned ?? o.status,
      sharedWith: r.plan?.[o.name]?.sharedWith,
      key: o.key,
      metrics: o.metrics,
      durationMs: o.durationMs,
      error: o.error?.message,
    })),
  }));
  const sum = (k: 'ran' | 'reused' | 'failed') => variants.reduce((a, v) => a + v[k], 0);
  return { ok: results.every((r) => r.ok), dryRun, axes: shape.swept, varyingStages: shape.varying, commonStages: shape.common, ran: sum('ran'), reused: sum('reused'), failed: sum('failed'), variants };
}
