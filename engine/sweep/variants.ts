// Turns a sweep's grid into resolved recipes, checked before anything runs: every `--set` path must name
// something the recipe has, and every swept value must change what some stage computes; otherwise two
// variants would be the same run under two names.
import { recipeSchema } from '../../schemas/recipe.schema.ts';
import { canonicalJson, sha256 } from '../cache/canonical.ts';
import { errUsage, RecipeErrors, suggest } from '../errors.ts';
import { composeRecipe, isObject } from '../recipe/compose.ts';
import type { ResolvedRecipe, ResolvedStage } from '../recipe/resolve.ts';
import type { Axis, Variant } from './grid.ts';

/** A variant whose recipe does not resolve: the sweep stops before running anything. */
export class VariantInvalid extends Error {
  variant: Variant;
  label: string;
  constructor(variant: Variant, label: string, cause: unknown) {
    super(`variant ${variant.index} (${label}) is not a valid recipe`, { cause });
    this.name = 'VariantInvalid';
    this.variant = variant;
    this.label = label;
  }
}

const didYouMean = (name: string, known: readonly string[], what: string) => {
  const best = suggest(name, known);
  return best ? `did you mean \`${best}\`?` : `known ${what}: ${known.join(', ')}`;
};

/** Checks that each axis path starts at a top-level key the recipe format has and, under `stages.`, at a stage the recipe has. */
export async function checkAxisPaths(recipeFile: string, axes: readonly Axis[]): Promise<void> {
  const { data } = await composeRecipe(recipeFile);
  const topLevel = Object.keys(recipeSchema.properties);
  const stages = isObject(data.stages) ? Object.keys(data.stages) : [];
  for (const axis of axes) {
    const [head, second] = axis.path.split('.');
    const flag = `--set ${axis.path}=${axis.values.join(',')}`;
    if (!topLevel.includes(head!)) throw errUsage(`${flag}: a recipe has no top-level key \`${head}\``, didYouMean(head!, topLevel, 'keys'));
    if (head === 'stages' && second !== undefined && !stages.includes(second)) {
      throw errUsage(`${flag}: the recipe has no stage \`${second}\``, didYouMean(second, stages, 'stages'));
    }
  }
}

/** Resolves every variant, in order; the first that does not resolve throws VariantInvalid. */
export async function resolveVariants(variants: readonly Variant[], label: (v: Variant) => string, resolve: (sets: string[]) => Promise<ResolvedRecipe>): Promise<ResolvedRecipe[]> {
  const recipes: ResolvedRecipe[] = [];
  for (const variant of variants) {
    try {
      recipes.push(await resolve(variant.sets));
    } catch (error) {
      // Other errors (untrusted code, a path through a scalar) name their cause without the variant.
      if (error instanceof RecipeErrors) throw new VariantInvalid(variant, label(variant), error);
      throw error;
    }
  }
  return recipes;
}

/**
 * What a stage computes, known without running anything: what its cache key is made of (plugin and code,
 * keyed parameters, seed, inputs), with each upstream output's hash replaced by its stage's identity. Two
 * stages with the same identity get the same key, so a dry run can tell which stages the variants share
 * before any of them has a key. (`needs:` only orders stages: like the key, the identity leaves it out.)
 */
export function stageIdentities(recipe: ResolvedRecipe): Map<string, string> {
  const ids = new Map<string, string>();
  for (const stage of recipe.stages) ids.set(stage.name, identityOf(stage, recipe, ids));
  return ids;
}

function identityOf(stage: ResolvedStage, recipe: ResolvedRecipe, ids: ReadonlyMap<string, string>): string {
  const inputs = Object.fromEntries(
    Object.entries(stage.inputs).map(([name, ref]) => {
      if (ref.from === 'stage') return [name, { stage: ids.get(ref.stage)!, output: ref.output }];
      const dataset = recipe.datasets[ref.dataset]!;
      return [name, { dataset: { paths: dataset.paths, dir: dataset.dir } }];
    }),
  );
  return sha256(
    canonicalJson({
      plugin: { source: stage.plugin.source, version: stage.plugin.stage.version, code: stage.plugin.codeHash },
      params: stage.keyParams ?? null,
      seed: stage.seed,
      inputs,
    }),
  );
}

/**
 * Throws when some swept axis has two values that leave every stage as it was (a runtime option, an
 * unused `vars` entry): those variants would be one run, and its results would be shared under two rows.
 */
export function checkAxesMatter(axes: readonly Axis[], variants: readonly Variant[], recipes: readonly ResolvedRecipe[]): void {
  const fingerprints = recipes.map((r) => canonicalJson(Object.fromEntries(stageIdentities(r))));
  for (const axis of axes.filter((a) => a.values.length > 1)) {
    // Variants that differ only in this axis: group by every other swept value.
    const groups = new Map<string, number[]>();
    for (const [i, v] of variants.entries()) {
      const rest = canonicalJson(Object.entries(v.values).filter(([p]) => p !== axis.path));
      groups.set(rest, [...(groups.get(rest) ?? []), i]);
    }
    for (const members of groups.values()) {
      const seen = new Map<string, number>();
      for (const i of members) {
        const twin = seen.get(fingerprints[i]!);
        if (twin !== undefined) {
          const a = variants[twin]!.values[axis.path];
          const b = variants[i]!.values[axis.path];
          throw errUsage(
            `--set ${axis.path}=${axis.values.join(',')}: \`${a}\` and \`${b}\` give the same stages (no stage's parameters, seed or inputs change), so they would be one run`,
            axis.path.startsWith('runtime.')
              ? 'runtime options are not part of any cache key, so a sweep cannot compare them: run each with `tempa run --force`'
              : 'sweep a value a stage uses: stages.<name>.with.<param>, stages.<name>.seed, or a vars entry a stage refers to',
          );
        }
        seen.set(fingerprints[i]!, i);
      }
    }
  }
}
