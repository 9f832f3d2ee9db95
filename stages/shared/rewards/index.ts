// What RL stages import to score answers: the recipe's `rewards:` list (rewardsSchema) turned into reward
// functions (buildRewards), each scoring a batch of completions with one number per answer.
import { PipelineError } from '../../../engine/errors.ts';
import { correctReward, formatReward, overlongReward } from './builtin.ts';
import { execReward } from './exec-reward.ts';
import { moduleReward } from './module-reward.ts';
import type { RewardSpec } from './schema.ts';
import type { RewardFunction } from './types.ts';
import { rewardName, validateRewards } from './validate.ts';

export { rewardsSchema, type RewardSpec } from './schema.ts';
export type { Completion, RewardFunction } from './types.ts';
export { validateRewards } from './validate.ts';

export interface BuildRewardsOptions {
  /** Module paths and exec working folders are relative to it. */
  recipeDir: string;
  signal?: AbortSignal;
  /** How a file is named in errors (the stage passes a path relative to the recipe). Default: as given. */
  displayName?: (file: string) => string;
  /** The stage's answer length limit, to check `overlong` ramps against. */
  maxTokens?: number;
}

/** One reward function per spec, in order; throws RECIPE_INVALID for the first problem validateRewards finds. */
export async function buildRewards(specs: readonly RewardSpec[], options: BuildRewardsOptions): Promise<RewardFunction[]> {
  const problem = validateRewards(specs, { maxTokens: options.maxTokens })[0];
  if (problem !== undefined) throw new PipelineError('RECIPE_INVALID', problem.message, { field: problem.path.join('.'), hint: problem.hint });
  const display = options.displayName ?? ((file: string) => file);
  const built: RewardFunction[] = [];
  for (const spec of specs) {
    options.signal?.throwIfAborted();
    const name = rewardName(spec);
    const weight = spec.weight ?? 1;
    if (spec.type === 'correct') built.push(correctReward(name, weight));
    else if (spec.type === 'format') built.push(formatReward(name, weight));
    else if (spec.type === 'overlong') built.push(overlongReward(name, weight, spec.cache!));
    else if (spec.type === 'module') built.push(await moduleReward(name, weight, { path: spec.path!, ...(spec.export === undefined ? {} : { export: spec.export }) }, options.recipeDir, display));
    else built.push(execReward(name, weight, { command: spec.command!, cwd: spec.cwd, env: spec.env, timeoutSeconds: spec.timeoutSeconds }, options.recipeDir));
  }
  return built;
}

