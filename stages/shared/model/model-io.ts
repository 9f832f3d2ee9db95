// A language model <-> a model folder (model.safetensors + config.json + tokenizer files, and
// heads.safetensors for scalar heads). Loading checks every weight against the config and patches config
// keys added since the folder was written with their defaults (nanochat _patch_missing_config_keys), so
// older models keep loading. The folder is also a Hugging Face folder (hf-config.ts), both ways.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TF } from '../backend/tf.ts';
import { loadTokenizer } from '../tokenizer/tokenizer-dir.ts';
import { readModelFolder, writeModelFolder, type ModelMeta, MODEL_FOLDER_VERSION } from './folder.ts';
import { exportParams, importParams, paramShapes } from './gpt.ts';
import { type GPTConfig } from './config.ts';
import { GENERATION_CONFIG_FILE, gptConfigFromFolder, hfGenerationConfig, hfModelConfig, hfTokenizerConfig, TOKENIZER_CONFIG_FILE, weightsFromHf } from './hf-config.ts';
import { createLanguageModel, type LanguageModel, type ScalarHead } from './language-model.ts';
import type { NamedTensor } from './safetensors.ts';

/**
 * Writes the model's weights, heads and config (tempa's keys and GPT-2's), generation_config.json, and
 * the tokenizer files copied from `tokenizerDir` with a tokenizer_config.json for this model's context.
 */
export async function saveModel(model: LanguageModel, dir: string, meta: Omit<ModelMeta, 'version'>, tokenizerDir?: string): Promise<void> {
  const heads = exportParams(Object.fromEntries(Object.entries(model.heads).map(([name, h]) => [`${name}.weight`, h.weight])));
  const config = { ...hfModelConfig(model.config), ...model.config };
  await writeModelFolder(dir, { config, weights: exportParams(model.weights), heads, meta: { ...meta, version: MODEL_FOLDER_VERSION } }, tokenizerDir);
  await writeFile(path.join(dir, GENERATION_CONFIG_FILE), `${JSON.stringify(hfGenerationConfig(model.config), null, 2)}\n`);
  if (tokenizerDir) await writeFile(path.join(dir, TOKENIZER_CONFIG_FILE), `${JSON.stringify(hfTokenizerConfig(model.config), null, 2)}\n`);
}

/** The model folder's tokenizer, weights and heads on the backend `tf` already runs; tempa's folders or transformers' GPT-2 ones. */
export async function loadModel(tf: TF, dir: string): Promise<LanguageModel & { meta: ModelMeta }> {
  const { tokenizer } = await loadTokenizer(dir);
  const configOf = (raw: Record<string, unknown>) => gptConfigFromFolder(raw, path.join(dir, 'config.json'));
  const folder = await readModelFolder(dir, (raw) => paramShapes(configOf(raw)), (weights, raw) => weightsFromHf(weights, configOf(raw)));
  const config = configOf(folder.config);
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
