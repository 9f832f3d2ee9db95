// A tiny language model with a real (byte-level BPE) tokenizer, for tests of the handle, model folders
// and anything that answers or scores text: nLayer 1, nEmbd 16, nHead 2, a 280-token vocabulary.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { TF } from '../../stages/shared/backend/tf.ts';
import { initGPT, resolveModelConfig, type ModelSpec } from '../../stages/shared/model/gpt.ts';
import { createLanguageModel, type LanguageModel } from '../../stages/shared/model/language-model.ts';
import { trainBpe } from '../../stages/shared/tokenizer/bpe-train.ts';
import { Tokenizer } from '../../stages/shared/tokenizer/bpe.ts';
import { saveTokenizer } from '../../stages/shared/tokenizer/tokenizer-dir.ts';
import { WordCounts } from '../../stages/shared/tokenizer/word-counts.ts';

const TEXT = 'the cat sat on the mat. the dog sat on the log. a whale is not a fish, said the sailor.';
const VOCAB = 280;

function trainTiny() {
  const words = new WordCounts();
  words.add(TEXT);
  return trainBpe(words.counts, { vocabSize: VOCAB });
}

/** The tokenizer, and a folder holding it (what a model folder copies its tokenizer files from). */
export async function tinyTokenizer(dir: string): Promise<{ tokenizer: Tokenizer; dir: string }> {
  const trained = trainTiny();
  const tokenizerDir = path.join(dir, 'tokenizer');
  await mkdir(tokenizerDir, { recursive: true });
  await saveTokenizer(tokenizerDir, trained.model, { trainBytes: TEXT.length, uniqueWords: trained.model.merges.length });
  return { tokenizer: new Tokenizer(trained.model), dir: tokenizerDir };
}

export function tinyLanguageModel(tf: TF, tokenizer: Tokenizer, seed = 5, spec: ModelSpec = { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16 }): LanguageModel {
  const config = resolveModelConfig(spec, tokenizer.vocabSize);
  return createLanguageModel(tf, { config, tokenizer, weights: initGPT(tf, config, seed) });
}
