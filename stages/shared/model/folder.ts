// Model folders: a folder other tools can read, model.safetensors + config.json + tokenizer.json, plus
// heads.safetensors when the model has scalar heads (reward, value), kept apart so a folder with heads
// still loads as a plain language model.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../../engine/errors.ts';
import { readSafetensors, SafetensorsError, writeSafetensors, type NamedTensor } from './safetensors.ts';

export const MODEL_FILE = 'model.safetensors';
export const HEADS_FILE = 'heads.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILES = ['tokenizer.json', 'tempa-tokenizer.json', 'tokenizer_config.json'] as const;

/** What a model folder records about how it was made. Never the stage's name: cache keys leave names out (a
 *  renamed stage keeps its result), so a name written here would depend on which name computed it first. */
export interface ModelMeta {
  step: number;
  /** A reward model's normalisation: score = (head value - mean) / std (mean 0, std 1 on the reference policy's answers). */
  reward?: { mean: number; std: number };
  /** Format version of the folder, bumped when its layout changes. */
  version: number;
}

export const MODEL_FOLDER_VERSION = 1;

export interface ModelFolder {
  config: Record<string, unknown>;
  weights: Record<string, NamedTensor>;
  /** Scalar heads' tensors by name (`score.weight`); empty when the folder has none. */
  heads?: Record<string, NamedTensor>;
  meta: ModelMeta;
}

export async function writeModelFolder(dir: string, folder: ModelFolder, tokenizerDir?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, MODEL_FILE), folder.weights, { format: 'pt', step: String(folder.meta.step) });
  if (folder.heads && Object.keys(folder.heads).length > 0) await writeSafetensors(path.join(dir, HEADS_FILE), folder.heads, { format: 'pt' });
  const config = { ...folder.config, tempa: { ...folder.meta } };
  await writeFile(path.join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  if (tokenizerDir) {
    for (const name of TOKENIZER_FILES) {
      if (existsSync(path.join(tokenizerDir, name))) await copyFile(path.join(tokenizerDir, name), path.join(dir, name));
    }
  }
}

const invalid = (dir: string, message: string, hint: string) => new PipelineError('ARTIFACT_MISSING', `model folder ${dir}: ${message}`, { hint });

/**
 * Reads a model folder. With `expectedShapes` (name -> shape, from the config), every weight must
 * be present with that shape and nothing else may be: a mismatch names each offending tensor.
 * `renameWeights` maps another tool's tensor names to tempa's before that check.
 */
export async function readModelFolder(
  dir: string,
  expectedShapes?: (config: Record<string, unknown>) => Record<string, number[]>,
  renameWeights?: (weights: Record<string, NamedTensor>, config: Record<string, unknown>) => Record<string, NamedTensor>,
): Promise<ModelFolder> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(path.join(dir, CONFIG_FILE), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw invalid(dir, `cannot read ${CONFIG_FILE} (${(error as Error).message})`, 'a model folder holds model.safetensors, config.json and tokenizer.json');
  }
  let weights: Record<string, NamedTensor>;
  try {
    weights = (await readSafetensors(path.join(dir, MODEL_FILE))).tensors;
  } catch (error) {
    const reason = error instanceof SafetensorsError ? error.message : (error as Error).message;
    throw invalid(dir, `cannot read ${MODEL_FILE} (${reason})`, 'the file is missing or damaged; rerun the stage that wrote it');
  }
  let heads: Record<string, NamedTensor> = {};
  if (existsSync(path.join(dir, HEADS_FILE))) {
    try {
      heads = (await readSafetensors(path.join(dir, HEADS_FILE))).tensors;
    } catch (error) {
      const reason = error instanceof SafetensorsError ? error.message : (error as Error).message;
      throw invalid(dir, `cannot read ${HEADS_FILE} (${reason})`, 'the file is damaged; rerun the stage that wrote it');
    }
  }
  const { tempa, ...modelConfig } = config as { tempa?: ModelMeta };
  if (renameWeights) weights = renameWeights(weights, modelConfig);
  if (expectedShapes) {
    const expected = expectedShapes(modelConfig);
    const problems: string[] = [];
    for (const [name, shape] of Object.entries(expected)) {
      const got = weights[name];
      if (!got) problems.push(`missing ${name} [${shape}]`);
      else if (got.shape.join() !== shape.join()) problems.push(`${name} has shape [${got.shape}], config needs [${shape}]`);
    }
    for (const name of Object.keys(weights)) if (!(name in expected)) problems.push(`unexpected tensor ${name}`);
    if (problems.length) throw invalid(dir, `weights do not match config.json: ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? `; and ${problems.length - 6} more` : ''}`, 'the weights and config.json come from different models');
  }
  return { config: modelConfig, weights, heads, meta: tempa ?? { step: 0, version: MODEL_FOLDER_VERSION } };
}
