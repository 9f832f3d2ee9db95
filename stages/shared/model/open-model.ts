// What every stage that starts from an upstream model does first: pick the backend (and log why),
// then load the model folder of an input as a LanguageModel.
import type { StageContext } from '../../../engine/stage.ts';
import { initTf, type BackendChoice, type TfRuntime } from '../backend/tf.ts';
import { compositeFallbacks } from './gpt.ts';
import { loadModel } from './model-io.ts';

export async function stageBackend(ctx: StageContext): Promise<TfRuntime> {
  const runtime = await initTf((ctx.runtime.backend as BackendChoice | undefined) ?? 'auto');
  ctx.log.info(`backend ${runtime.backend}: ${runtime.detail}`);
  return runtime;
}

/** The model of input `input` on the stage's backend. The caller disposes it (model.dispose()). */
export async function openModel(ctx: StageContext, input = 'model') {
  const { tf, backend } = await stageBackend(ctx);
  const modelDir = ctx.inputs[input]!.path;
  const model = await loadModel(tf, modelDir);
  for (const why of compositeFallbacks(tf, model.config)) ctx.log.warn(why);
  return { tf, backend, modelDir, model };
}
