// Which executor runs each stage, and the checks a run makes before it starts one: light, so a run
// whose stages all run here never loads the cluster code (engine/executors/slurm-*.ts).
import { errRecipeInvalid, PipelineError, RecipeErrors } from '../errors.ts';
import type { ResolvedRecipe, ResolvedStage } from '../recipe/resolve.ts';
import type { ExecutorName } from './slurm-settings.ts';

export type { ExecutorName } from './slurm-settings.ts';

/** The stage's own `executor:`, else `--executor`, else the recipe's, else local. */
export function executorOf(stage: ResolvedStage, recipe: ResolvedRecipe, flag: ExecutorName | undefined): ExecutorName {
  return stage.executor ?? flag ?? recipe.executor ?? 'local';
}

/**
 * Before anything runs: every stage bound for Slurm must be able to travel. Its inputs and result move
 * through the shared cache, so it needs a remote; the node loads its plugin by name, so it must be built in.
 */
export function checkExecutors(recipe: ResolvedRecipe, stages: readonly ResolvedStage[], flag: ExecutorName | undefined, hasRemote: boolean): void {
  const remote = stages.filter((s) => executorOf(s, recipe, flag) === 'slurm');
  if (!remote.length) return;
  const errors: PipelineError[] = [];
  const where = (stage: ResolvedStage) => (stage.executor ? ['stages', stage.name, 'executor'] : recipe.executor && !flag ? ['executor'] : undefined);
  if (!hasRemote) {
    const at = where(remote[0]!);
    errors.push(
      errRecipeInvalid(`${remote.map((s) => `\`${s.name}\``).join(', ')} run${remote.length === 1 ? 's' : ''} on Slurm, which needs a shared cache: the node gets its inputs and returns its result through it`, {
        location: at && recipe.sources.locate(at),
        field: at?.join('.') ?? '--executor',
        hint: 'add `remote: s3://bucket/prefix` to the recipe (with `endpoint:` for MinIO or R2), or pass --remote',
      }),
    );
  }
  for (const stage of remote.filter((s) => !s.plugin.source.startsWith('builtin:'))) {
    const at = ['stages', stage.name, 'uses'];
    errors.push(
      errRecipeInvalid(`stage \`${stage.name}\` uses the code plugin \`${stage.uses}\`, which a Slurm node cannot load: only built-in stages run there`, {
        location: recipe.sources.locate(at),
        field: at.join('.'),
        hint: `give it \`executor: local\`, or run its code through the built-in \`exec\` stage`,
      }),
    );
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length) throw new RecipeErrors(errors);
}
