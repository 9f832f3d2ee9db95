// What every stage that starts from an upstream model does first: pick the backend (and log why),
// then load the model folder's tokenizer and weights.
import type { StageContext } from '../../../engine/stage.ts';
import { initTf, type BackendChoice, type TF, type TfRuntime } from '../backend/tf.ts';
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
  return { tf, backend, modelDir, ...(await loadModelFolder(tf, modelDir)) };
}

/** A model folder's tokenizer and weights, on the backend already chosen. */
export async function loadModelFolder(tf: TF, modelDir: string) {
  const { tokenizer } = await loadTokenizer(modelDir);
  const { config, params, meta } = await loadGPT(tf, modelDir);
  return { tokenizer, config, params, meta };
}
