// The page `tempa run` ends with: one line per stage (status or time, and the numbers its plugin calls
// its headline), then where the run's documents (reports) are. Plain lines, for terminals and logs alike.
import path from 'node:path';
import type { StageOutcome } from '../events.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import { formatMetric, seconds } from '../ui-lines.ts';

/** Metrics shown when a plugin names no headline. */
const DEFAULT_HEADLINE = 2;

export function runSummary(recipe: ResolvedRecipe, outcomes: readonly StageOutcome[], cwd = process.cwd()): string[] {
  const shown = outcomes.filter((o) => o.status !== 'not-selected');
  if (shown.length === 0) return [];
  const byName = new Map(recipe.stages.map((s) => [s.name, s]));
  const width = Math.max(...shown.map((o) => o.name.length));
  const lines = [`summary of ${recipe.name}:`];
  const documents: string[] = [];
  for (const o of shown) {
    const stage = byName.get(o.name);
    const status = o.status === 'ran' ? seconds(o.durationMs ?? 0) : o.status;
    lines.push(`  ${o.name.padEnd(width)}  ${status.padEnd(8)}  ${headline(o.metrics ?? {}, stage?.plugin.stage.headline)}`.trimEnd());
    for (const [output, spec] of Object.entries(stage?.outputs ?? {})) {
      const file = o.outputs?.[output];
      if (spec.document && file) documents.push(`${o.name}.${output}: ${path.relative(cwd, file) || file}`);
    }
  }
  return [...lines, ...documents.map((d) => `  ${d}`)];
}

/** `name value` pairs of the headline metrics the stage reported, joined by ` | `. */
function headline(metrics: Record<string, number>, names: readonly string[] | undefined): string {
  const picked = names ? names.filter((n) => n in metrics) : Object.keys(metrics).slice(0, DEFAULT_HEADLINE);
  return picked.map((n) => `${n} ${formatMetric(metrics[n]!)}`).join(' | ');
}
