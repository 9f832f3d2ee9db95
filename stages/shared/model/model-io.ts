// A language model <-> a model folder (model.safetensors + config.json + tokenizer files, and
// heads.safetensors for scalar heads). Loading checks every weight against the config and patches config
// keys added since the folder was written with their defaults (nanochat _patch_missing_config_keys), so
// older models keep loading.
import type { TF } from '../backend/tf.ts';
import { loadTokenizer } from '../tokenizer/tokenizer-dir.ts';
import { readModelFolder, writeModelFolder, type ModelMeta, MODEL_FOLDER_VERSION } from './folder.ts';
import { DEFAULT_GPT_CONFIG, exportParams, importParams, paramShapes, type GPTConfig } from './gpt.ts';
import { createLanguageModel, type LanguageModel, type ScalarHead } from './language-model.ts';
import type { NamedTensor } from './safetensors.ts';

const withDefaults = (config: Record<string, unknown>): GPTConfig => ({ ...DEFAULT_GPT_CONFIG, ...config }) as GPTConfig;

/** Writes the model's weights, heads and config; the tokenizer files are copied from `tokenizerDir`. */
export async function saveModel(model: LanguageModel, dir: string, meta: Omit<ModelMeta, 'version'>, tokenizerDir?: string): Promise<void> {
  const heads = exportParams(Object.fromEntries(Object.entries(model.heads).map(([name, h]) => [`${name}.weight`, h.weight])));
  await writeModelFolder(dir, { config: { ...model.config }, weights: exportParams(model.weights), heads, meta: { ...meta, version: MODEL_FOLDER_VERSION } }, tokenizerDir);
}

/** The model folder's tokenizer, weights and heads on the backend `tf` already runs. */
export async function loadModel(tf: TF, dir: string): Promise<LanguageModel & { meta: ModelMeta }> {
  const { tokenizer } = await loadTokenizer(dir);
  const folder = await readModelFolder(dir, (config) => paramShapes(withDefaults(config)));
  const config = withDefaults(folder.config);
  const heads = importHeads(tf, dir, config, folder.heads ?? {});
  return Object.assign(createLanguageModel(tf, { config, tokenizer, weights: importParams(tf, config, folder.weights), heads }), { meta: folder.meta });
}

function importHeads(tf: TF, dir: string, config: GPTConfig, tensors: Record<string, NamedTensor>): Record<string, ScalarHead> {
  const heads: Record<string, ScalarHead> = {};
  for (const [name, saved] of Object.entries(tensors)) {
    const head = name.endsWith('.weight') ? name.slice(0, -'.weight'.length) : undefined;
    if (!head || saved.shape.join() !== `1,${config.nEmbd}`) {
      throw new Error(`model folder ${dir}: heads.safetensors has ${name} [${saved.shape}]; a scalar head is <name>.weight [1,${config.nEmbd}]`);
    }
    heads[head] = { weight: tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(saved.data), [1, config.nEmbd], 'float32'), true)) };
  }
  return heads;
}
