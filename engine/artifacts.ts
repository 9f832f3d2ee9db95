// A stage's outputs on disk, brought up to date first: what commands that use a stage's result
// (`tempa chat --stage sft`) need. Cached stages are found at once; stale ones run as `tempa run --to`.
import path from 'node:path';
import { Store } from './cache/store.ts';
import { errUnknownRef, PipelineError } from './errors.ts';
import type { RunReporter } from './events.ts';
import type { ResolvedRecipe } from './recipe/resolve.ts';
import { defaultStoreDir, runRecipe } from './run.ts';

export interface StageOutputsOptions {
  storeDir?: string;
  reporter?: RunReporter;
  signal?: AbortSignal;
}

/** Absolute path of each output of `name`, after running whatever it needs. */
export async function stageOutputs(recipe: ResolvedRecipe, name: string, options: StageOutputsOptions = {}): Promise<Record<string, string>> {
  if (!recipe.stages.some((s) => s.name === name)) throw errUnknownRef('stage', name, recipe.stages.map((s) => s.name), { field: 'stage' });
  const storeDir = options.storeDir ?? defaultStoreDir(recipe.dir);
  const summary = await runRecipe(recipe, { to: [name], storeDir, reporter: options.reporter, signal: options.signal });
  const outcome = summary.outcomes.find((o) => o.name === name)!;
  if (outcome.error) throw outcome.error;
  const store = new Store(storeDir);
  const { record } = outcome.key ? await store.lookup(outcome.key, () => undefined) : { record: undefined };
  if (!record) {
    // An upstream failure (or Ctrl-C) says more than "no result".
    const upstream = summary.outcomes.find((o) => o.error);
    if (upstream?.error) throw upstream.error;
    const failed = summary.outcomes.filter((o) => o.status === 'failed').map((o) => o.name);
    throw new PipelineError('STAGE_FAILED', `stage \`${name}\` has no result: ${failed.length > 0 ? `${failed.join(', ')} failed` : outcome.status}`, {
      hint: `run \`tempa run ${path.relative(process.cwd(), recipe.file) || recipe.file} --to ${name}\` to see why`,
    });
  }
  return store.outputPaths(record);
}

/** Stages whose plugin declares an output called `output`, in run order. */
export const stagesWithOutput = (recipe: ResolvedRecipe, output: string): string[] =>
  recipe.stages.filter((s) => output in s.outputs).map((s) => s.name);
