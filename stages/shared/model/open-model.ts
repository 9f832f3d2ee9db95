// What every stage that starts from an upstream model does first: pick the backend (and log why),
// then load the model folder's tokenizer and weights.
import type { StageContext } from '../../../engine/stage.ts';
import { initTf, type BackendChoice, type TfRuntime } from '../tf.ts';
import { loadTokenizer } from '../tokenizer/tokenizer-dir.ts';
import { loadGPT } from './model-io.ts';

export async function stageBackend(ctx: StageContext): Promise<TfRuntime> {
  const runtime = await initTf((ctx.runtime.backend as BackendChoice | undefined) ?? 'auto');
  ctx.log.info(`backend ${runtime.backend}: ${runtime.detail}`);
  return runtime;
}

/** The caller disposes `params` (disposeParams) when done. */
export async function openModel(ctx: StageContext, input = 'model') {
  const { tf, backend } = await stageBackend(ctx);
  const modelDir = ctx.inputs[input]!.path;
  const { tokenizer } = await loadTokenizer(modelDir);
  const { config, params } = await loadGPT(tf, modelDir);
  return { tf, backend, modelDir, tokenizer, config, params };
}
