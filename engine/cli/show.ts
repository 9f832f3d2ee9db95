// `tempa show <recipe> <stage>`: where a stage's artifacts, metrics and log are.
import { errUnknownRef } from '../errors.ts';
import type { Store } from '../cache/store.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import { runRecipe } from '../run.ts';

export async function showStage(recipe: ResolvedRecipe, name: string, store: Store): Promise<string> {
  if (!recipe.stages.some((s) => s.name === name)) throw errUnknownRef('stage', name, recipe.stages.map((s) => s.name), { field: 'stage' });
  const summary = await runRecipe(recipe, { dryRun: true, to: [name], storeDir: store.root });
  const outcome = summary.outcomes.find((o) => o.name === name)!;
  const stage = recipe.stages.find((s) => s.name === name)!;
  const lines = [`stage:   ${name} (${stage.uses})`, `status:  ${outcome.status === 'cached' ? 'cached' : `stale: ${outcome.reasons.join('; ')}`}`];
  if (outcome.key) lines.push(`key:     ${outcome.key}`);
  if (outcome.status !== 'cached' || !outcome.key) return lines.join('\n');
  const { record } = await store.lookup(outcome.key, () => undefined);
  if (!record) return lines.join('\n');
  lines.push('artifacts:');
  for (const [out, o] of Object.entries(record.outputs)) lines.push(`  ${out}: ${store.outDir(outcome.key)}/${o.path} (${o.kind}, sha256 ${o.hash.slice(0, 12)})`);
  lines.push('metrics:');
  for (const [k, v] of Object.entries(record.metrics)) lines.push(`  ${k}: ${v}`);
  lines.push(`log:     ${store.logFile(outcome.key)}`, `ran:     ${record.createdAt} in ${record.durationMs}ms`);
  return lines.join('\n');
}
