// Which built-in stages run code that a recipe names, and where in their `with:`: the `exec` stage's
// command, and grpo's and ppo's `exec` and `module` rewards. The engine asks before running any of it
// on a machine where that recipe's code is not trusted yet. Kept out of the stages' own modules, whose
// code hash is their cache key.
import type { DeclaredCode, DeclaredCodeTable } from '../engine/app.ts';
import type { RewardSpec } from './shared/rewards/schema.ts';

interface ExecParams {
  command: string | string[];
  cwd?: string;
  env?: Record<string, string>;
}

function rewardCode(params: unknown): DeclaredCode[] {
  const rewards = ((params as { rewards?: RewardSpec[] }).rewards ?? []);
  return rewards.flatMap((r, i): DeclaredCode[] => {
    if (r.type === 'exec' && r.command !== undefined) return [{ path: ['rewards', i, 'command'], command: r.command, cwd: r.cwd, env: r.env }];
    if (r.type === 'module' && r.path !== undefined) return [{ path: ['rewards', i, 'path'], module: r.path }];
    return [];
  });
}

export const DECLARED_CODE: DeclaredCodeTable = {
  exec: (params) => {
    const { command, cwd, env } = params as ExecParams;
    return [{ path: ['command'], command, cwd, env }];
  },
  grpo: rewardCode,
  ppo: rewardCode,
};
