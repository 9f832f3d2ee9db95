// Runs a sweep's variants, `jobs` at a time, into one store. Nothing here shares work between variants
// by hand: equal stages have equal cache keys, and the store's key lock makes a variant that reaches a
// stage another one is computing wait, then take that result as a cache hit.
import path from 'node:path';
import pLimit from 'p-limit';
import { sha256 } from '../cache/canonical.ts';
import type { RunReporter, StageOutcome } from '../events.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import { runRecipe } from '../run.ts';
import type { Variant } from './grid.ts';
import { stageIdentities } from './variants.ts';

export interface SweepOptions extends Omit<VariantRunOptions, 'reporter'> {
  /** Variants run at once. */
  jobs: number;
  reporterFor?: (variant: Variant) => RunReporter | undefined;
}

/** What a dry run predicts for a stage: computed here, found in the store, or computed by an earlier variant of this sweep. */
export type Planned = 'run' | 'cached' | 'shared';

export interface VariantResult {
  variant: Variant;
  recipe: ResolvedRecipe;
  lockFile: string;
  outcomes: StageOutcome[];
  ok: boolean;
  /** A failure outside every stage (a dataset that cannot be read, a full disk): the variant did not run. */
  error?: unknown;
  /** Dry runs: per stage, what would happen. */
  plan?: Record<string, { planned: Planned; sharedWith?: number }>;
}

/**
 * Where a variant's lock lives: in the store, named by its values and a hash of the recipe file and all
 * its overrides, so a sweep never writes the recipe's own lock, reruns find their explanations, and
 * `tempa gc` keeps every variant's results until its lock file is deleted.
 */
export function variantLockFile(storeDir: string, recipeFile: string, variant: Variant): string {
  const slug = Object.entries(variant.values)
    .map(([p, v]) => `${p.split('.').pop()}=${v}`)
    .join(',')
    .replace(/[^A-Za-z0-9._=,+-]/g, '_')
    .slice(0, 80);
  const id = sha256([recipeFile, ...variant.sets].join('\n')).slice(0, 8);
  const base = path.basename(recipeFile).replace(/\.ya?ml$/, '');
  return path.join(storeDir, 'sweeps', base, `${slug ? `${slug}-` : ''}${id}.lock`);
}

/** How one variant runs and what it reports: in the sweep's process (dry runs, variants the store holds), or in one of its own. */
export type VariantRunner = (recipe: ResolvedRecipe, variant: Variant, lockFile: string) => Promise<{ outcomes: StageOutcome[]; ok: boolean; error?: unknown }>;

export interface VariantRunOptions {
  storeDir: string;
  signal: AbortSignal;
  dryRun?: boolean;
  remote?: string;
  remoteEndpoint?: string;
  reporter?: RunReporter;
}

/** Runs `recipe` as the variant whose lock is `lockFile`. */
export function runVariantRecipe(recipe: ResolvedRecipe, lockFile: string, options: VariantRunOptions) {
  // runRecipe writes the lock of `recipe.file` (without its .yaml): pointing it at the variant's lock
  // path keeps the recipe's own lock untouched and registers the variant's for gc.
  return runRecipe({ ...recipe, file: lockFile.replace(/\.lock$/, '') }, options);
}

export const inProcessRunner =
  (options: SweepOptions): VariantRunner =>
  async (recipe, variant, lockFile) => {
    const summary = await runVariantRecipe(recipe, lockFile, { ...options, reporter: options.reporterFor?.(variant) });
    return { outcomes: summary.outcomes, ok: summary.ok };
  };

export async function runSweep(recipes: readonly ResolvedRecipe[], variants: readonly Variant[], options: SweepOptions, runVariant: VariantRunner = inProcessRunner(options)): Promise<VariantResult[]> {
  const limit = pLimit(options.jobs);
  const results = await Promise.all(
    variants.map((variant, i) =>
      limit(async (): Promise<VariantResult> => {
        const lockFile = variantLockFile(options.storeDir, recipes[i]!.file, variant);
        const base = { variant, recipe: recipes[i]!, lockFile };
        if (options.signal.aborted) return { ...base, outcomes: [], ok: false, error: new Error('interrupted before it started') };
        try {
          return { ...base, ...(await runVariant(recipes[i]!, variant, lockFile)) };
        } catch (error) {
          return { ...base, outcomes: [], ok: false, error };
        }
      }),
    ),
  );
  if (options.dryRun) planSharing(results);
  return results;
}

/**
 * A dry run knows no key below a stage that would run, so sharing is told by stage identity: the first
 * variant (in grid order) that would run a stage runs it, and every later one with the same identity reuses it.
 */
function planSharing(results: VariantResult[]): void {
  const firstRunBy = new Map<string, number>();
  for (const result of results) {
    const ids = stageIdentities(result.recipe);
    const uncached = new Set(result.recipe.stages.filter((s) => !s.cache).map((s) => s.name));
    result.plan = {};
    for (const o of result.outcomes) {
      if (o.status === 'cached') result.plan[o.name] = { planned: 'cached' };
      if (o.status !== 'would-run') continue;
      const id = ids.get(o.name)!;
      const earlier = uncached.has(o.name) ? undefined : firstRunBy.get(id);
      if (earlier === undefined) {
        firstRunBy.set(id, result.variant.index);
        result.plan[o.name] = { planned: 'run' };
      } else result.plan[o.name] = { planned: 'shared', sharedWith: earlier };
    }
  }
}
