// The Hugging Face side of a model folder: config.json's GPT-2 keys (beside tempa's own camelCase keys),
// generation_config.json and tokenizer_config.json, so `AutoModelForCausalLM.from_pretrained(folder)`
// loads a tempa model and `generate()` stops where tempa's answers stop; and the reverse, reading a
// GPT-2 folder that transformers wrote (its keys, its `transformer.` weight names).
import { PipelineError } from '../../../engine/errors.ts';
import { tokenizerConfig } from '../chat/template.ts';
import { BOS_ID, END_ID, EOS_ID, PAD_ID } from '../tokenizer/special-tokens.ts';
import { DEFAULT_GPT_CONFIG, type GPTConfig } from './config.ts';
import type { NamedTensor } from './safetensors.ts';

export const GENERATION_CONFIG_FILE = 'generation_config.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/** transformers' name for GPT-2's tanh GELU, the one gpt.ts computes. */
const ACTIVATION = 'gelu_new';
const LAYER_NORM_EPS = 1e-5;
/**
 * model_type of a rotary-position model: transformers has no GPT-2 with RoPE, so such a folder must
 * fail to load there by name rather than load as a GPT-2 with random position embeddings.
 */
export const ROTARY_MODEL_TYPE = 'tempa-rotary-gpt-not-in-transformers';

/** config.json's Hugging Face keys for `config` (snake_case, so they never collide with tempa's). */
export function hfModelConfig(config: GPTConfig): Record<string, unknown> {
  const ids = { bos_token_id: BOS_ID, eos_token_id: EOS_ID, pad_token_id: PAD_ID };
  if (config.positions === 'rotary') {
    return { model_type: ROTARY_MODEL_TYPE, _comment: 'rotary positions: transformers has no architecture for this model; load it with tempa', ...ids };
  }
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: config.vocabSize,
    n_positions: config.blockSize,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: null, // 4 * n_embd, as gpt.ts
    activation_function: ACTIVATION,
    layer_norm_epsilon: LAYER_NORM_EPS,
    tie_word_embeddings: config.tieWeights,
    // Dropout is off in tempa; transformers' defaults (0.1) would only matter in train mode.
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    initializer_range: 0.02,
    dtype: 'float32',
    ...ids,
  };
}

/**
 * generation_config.json: a chat answer ends at `<|end|>`, free text at `<|eos|>`; tempa stops at either.
 * max_length is the context, which transformers' generate() would otherwise run past (an index error).
 */
export function hfGenerationConfig(config: Pick<GPTConfig, 'blockSize'>): Record<string, unknown> {
  return { bos_token_id: BOS_ID, eos_token_id: [END_ID, EOS_ID], pad_token_id: PAD_ID, max_length: config.blockSize };
}

/** tokenizer_config.json: the special tokens, the context length and the chat template. */
export function hfTokenizerConfig(config: Pick<GPTConfig, 'blockSize'>): Record<string, unknown> {
  return { ...tokenizerConfig(), model_max_length: config.blockSize };
}

const TEMPA_KEYS = Object.keys(DEFAULT_GPT_CONFIG) as (keyof GPTConfig)[];

/**
 * The GPTConfig in a folder's config.json: tempa's own keys when it has them (patched with defaults for
 * keys added later), else a transformers GPT-2 config mapped key by key. Anything gpt.ts cannot compute
 * the same way (another activation, epsilon or MLP width) is refused by name.
 */
export function gptConfigFromFolder(raw: Record<string, unknown>, file: string): GPTConfig {
  if (TEMPA_KEYS.some((key) => key in raw)) {
    return Object.fromEntries(TEMPA_KEYS.map((key) => [key, key in raw ? raw[key] : DEFAULT_GPT_CONFIG[key]])) as unknown as GPTConfig;
  }
  const fail = (message: string) =>
    new PipelineError('ARTIFACT_MISSING', `${file}: ${message}`, { hint: 'tempa reads its own model folders and transformers GPT-2 folders (model_type gpt2)' });
  if (raw.model_type !== 'gpt2') throw fail(`model_type ${JSON.stringify(raw.model_type)} is not one tempa can load`);
  const differs = (key: string, expected: unknown) => key in raw && raw[key] !== null && raw[key] !== expected;
  const activation = raw.activation_function ?? ACTIVATION;
  if (activation !== ACTIVATION && activation !== 'gelu_pytorch_tanh') throw fail(`activation_function ${JSON.stringify(activation)}: tempa computes gelu_new (tanh GELU)`);
  if (differs('layer_norm_epsilon', LAYER_NORM_EPS)) throw fail(`layer_norm_epsilon ${String(raw.layer_norm_epsilon)}: tempa uses ${LAYER_NORM_EPS}`);
  const nEmbd = raw.n_embd as number;
  if (differs('n_inner', 4 * nEmbd)) throw fail(`n_inner ${String(raw.n_inner)}: tempa's MLP is 4 * n_embd wide (${4 * nEmbd})`);
  for (const key of ['scale_attn_by_inverse_layer_idx', 'reorder_and_upcast_attn'] as const) if (raw[key] === true) throw fail(`${key} true is not supported`);
  const sizes = { vocabSize: raw.vocab_size, blockSize: raw.n_positions ?? raw.n_ctx, nLayer: raw.n_layer, nHead: raw.n_head, nEmbd };
  for (const [key, value] of Object.entries(sizes)) if (!Number.isInteger(value) || (value as number) < 1) throw fail(`${key} (from the GPT-2 keys) must be a positive integer, got ${String(value)}`);
  return { ...(sizes as Omit<GPTConfig, 'tieWeights' | 'positions'>), tieWeights: raw.tie_word_embeddings !== false, positions: 'learned' };
}

/**
 * Weights named as transformers saves a GPT2LMHeadModel (`transformer.h.0...`, attention-mask buffers,
 * a tied `lm_head.weight`) renamed to tempa's names; tempa's own folders pass through unchanged.
 */
export function weightsFromHf(weights: Record<string, NamedTensor>, config: GPTConfig): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, tensor] of Object.entries(weights)) {
    const local = name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(local)) continue; // the causal-mask buffer older versions saved
    if (local === 'lm_head.weight' && config.tieWeights) continue; // the same tensor as wte.weight
    out[local] = tensor;
  }
  return out;
}
