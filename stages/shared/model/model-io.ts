// A GPT <-> a model folder (model.safetensors + config.json + tokenizer.json). Loading checks every
// weight against the config and patches config keys added since the folder was written with their
// defaults (nanochat _patch_missing_config_keys), so older models keep loading.
import { readModelFolder, writeModelFolder, type ModelMeta, MODEL_FOLDER_VERSION } from './folder.ts';
import type { TF } from '../backend/tf.ts';
import { DEFAULT_GPT_CONFIG, exportParams, importParams, paramShapes, type GPTConfig, type GPTParams } from './gpt.ts';

export interface LoadedGPT {
  config: GPTConfig;
  params: GPTParams;
  meta: ModelMeta;
}

const withDefaults = (config: Record<string, unknown>): GPTConfig => ({ ...DEFAULT_GPT_CONFIG, ...config }) as GPTConfig;

export async function saveGPT(dir: string, params: GPTParams, config: GPTConfig, meta: Omit<ModelMeta, 'version'>, tokenizerDir?: string): Promise<void> {
  await writeModelFolder(dir, { config: { ...config }, weights: exportParams(params), meta: { ...meta, version: MODEL_FOLDER_VERSION } }, tokenizerDir);
}

export async function loadGPT(tf: TF, dir: string): Promise<LoadedGPT> {
  const folder = await readModelFolder(dir, (config) => paramShapes(withDefaults(config)));
  const config = withDefaults(folder.config);
  return { config, params: importParams(tf, config, folder.weights), meta: folder.meta };
}

export function disposeParams(params: GPTParams): void {
  for (const p of Object.values(params)) p.dispose();
}
