// The GPT's configuration: its fields, their defaults, and the checks that turn a recipe's model spec
// (a preset name or sizes, schemas/model.schema.ts) into a config the model can be built from.
// The checks run twice on purpose: as the init stage's `validate` hook, so `tempa validate` reports a
// bad size at file:line, and again here when a config is built, for callers outside any recipe.
import { PipelineError } from '../../../engine/errors.ts';
import { MODEL_PRESET_NAMES, MODEL_PRESETS, type ModelSpec } from '../../../schemas/model.schema.ts';

export interface GPTConfig {
  vocabSize: number;
  /** Context length: the most positions the model attends to. */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  /** lm_head reuses wte (GPT-2, nanoGPT). */
  tieWeights: boolean;
  /** 'learned': a wpe table (GPT-2); 'rotary': RoPE on queries and keys, no wpe. */
  positions: 'learned' | 'rotary';
}

export const DEFAULT_GPT_CONFIG: GPTConfig = {
  vocabSize: 256,
  blockSize: 128,
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  tieWeights: true,
  positions: 'learned',
};

/** A problem in a model spec; `path` is the field to blame inside the spec (empty: the spec as a whole). */
export interface ModelProblem {
  path: string[];
  message: string;
  hint: string;
}

/** The spec's fields over its preset over the defaults, without a vocabulary (that is the tokenizer's). */
function mergedSizes(model: ModelSpec | undefined): { config: Omit<GPTConfig, 'vocabSize'> & { vocabSize?: number }; given: Set<string> } {
  const spec = typeof model === 'string' ? { preset: model } : (model ?? {});
  const { preset, ...overrides } = spec;
  const { vocabSize: _vocab, ...defaults } = DEFAULT_GPT_CONFIG;
  const fromPreset = preset !== undefined && Object.hasOwn(MODEL_PRESETS, preset) ? MODEL_PRESETS[preset] : {};
  return { config: { ...defaults, ...fromPreset, ...overrides }, given: new Set(Object.keys(overrides)) };
}

/**
 * Everything wrong with a spec that does not depend on the tokenizer: an unknown preset, sizes that
 * are not positive integers, a width the heads do not divide, an odd rotary head size.
 */
export function modelProblems(model: ModelSpec | undefined): ModelProblem[] {
  const preset = typeof model === 'string' ? model : model?.preset;
  if (preset !== undefined && !(MODEL_PRESET_NAMES as readonly string[]).includes(preset)) {
    return [{ path: typeof model === 'string' ? [] : ['preset'], message: `unknown model preset \`${preset}\``, hint: `use one of ${MODEL_PRESET_NAMES.join(', ')}` }];
  }
  const { config, given } = mergedSizes(model);
  // Blame the first of these fields the recipe wrote itself: presets and defaults are always valid.
  const blame = (...fields: string[]) => fields.filter((f) => given.has(f)).slice(0, 1);
  const problems: ModelProblem[] = [];
  for (const key of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    const value = config[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      problems.push({ path: blame(key), message: `model.${key} must be a positive integer, got ${value}`, hint: 'fix the model size' });
    }
  }
  if (problems.length) return problems;
  if (config.nEmbd % config.nHead !== 0) {
    problems.push({ path: blame('nHead', 'nEmbd'), message: `model.nEmbd ${config.nEmbd} is not divisible by model.nHead ${config.nHead}`, hint: `pick nHead among the divisors of ${config.nEmbd}` });
  } else if (config.positions === 'rotary' && (config.nEmbd / config.nHead) % 2 !== 0) {
    problems.push({ path: blame('nHead', 'nEmbd', 'positions'), message: `rotary positions need an even head size, got ${config.nEmbd / config.nHead}`, hint: 'change nEmbd or nHead' });
  }
  return problems;
}

/**
 * A model spec (a preset name or sizes, optionally on top of a preset) as a full config.
 * `vocabSize` is the tokenizer's; an explicit larger `model.vocabSize` pads the embedding.
 */
export function resolveModelConfig(model: ModelSpec | undefined, vocabSize: number): GPTConfig {
  const [problem] = modelProblems(model);
  if (problem) throw invalidModel(problem.message, problem.hint);
  const config: GPTConfig = { vocabSize, ...mergedSizes(model).config };
  if (config.vocabSize < vocabSize) {
    throw invalidModel(`model.vocabSize ${config.vocabSize} is smaller than the tokenizer's ${vocabSize} tokens`, 'remove model.vocabSize: it defaults to the tokenizer vocabulary');
  }
  return config;
}

function invalidModel(message: string, hint: string): PipelineError {
  return new PipelineError('RECIPE_INVALID', message, { field: 'model', hint });
}
