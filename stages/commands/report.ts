// `tempa report`: the path of the recipe's HTML report, brought up to date first (only the stages it
// reads that are stale run), so `open $(tempa report)` shows the current run.
import type { CommandContext } from '../../engine/command.ts';
import { errUsage } from '../../engine/errors.ts';

export async function reportCommand(ctx: CommandContext, flags: { stage?: string }): Promise<number> {
  const withReport = ctx.stagesWithOutput('html');
  const stage = flags.stage ?? withReport.at(-1);
  if (stage === undefined) throw errUsage('this recipe has no report stage', 'add one: `report: { uses: report, inputs: { pretrain: pretrain.model, pretrain-curve: pretrain.curve } }`');
  if (ctx.recipe.stages.some((s) => s.name === stage) && !withReport.includes(stage)) {
    throw errUsage(`stage \`${stage}\` writes no HTML report`, `report stages: ${withReport.join(', ') || 'none'}`);
  }
  const outputs = await ctx.stageOutputs(stage);
  ctx.stdout.write(`${outputs.html}\n`);
  return 0;
}
