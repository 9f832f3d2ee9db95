// The model a command talks to: the `model` output of a recipe stage, brought up to date, on the
// recipe's backend (or --backend).
import type { CommandContext } from '../../engine/command.ts';
import { errUsage } from '../../engine/errors.ts';
import { loadModel } from '../shared/model/model-io.ts';
import { initTf, type BackendChoice } from '../shared/backend/tf.ts';

export async function openStageModel(ctx: CommandContext, given: string | undefined) {
  const withModel = ctx.stagesWithOutput('model');
  const stage = given ?? withModel.at(-1);
  if (stage === undefined) throw errUsage('this recipe has no stage that writes a model', 'add a stage such as init, pretrain or sft');
  if (ctx.recipe.stages.some((s) => s.name === stage) && !withModel.includes(stage)) {
    throw errUsage(`stage \`${stage}\` has no model output`, `stages with a model: ${withModel.join(', ')}`);
  }
  const outputs = await ctx.stageOutputs(stage);
  const { tf, backend } = await initTf((ctx.runtime.backend as BackendChoice | undefined) ?? 'auto');
  ctx.stderr.write(`${stage} model, backend ${backend}\n`);
  return { tf, model: await loadModel(tf, outputs.model!) };
}
