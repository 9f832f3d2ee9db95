// The on-disk form of a trained tokenizer, one folder: tokenizer.json for any HF-compatible tool, and
// tempa-tokenizer.json with what tempa knows beyond it (training facts, a format version to check on load).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '../../../engine/errors.ts';
import { Tokenizer, type BpeModel } from './bpe.ts';
import { fromHfJson, toHfJson } from './hf-json.ts';

export const HF_FILE = 'tokenizer.json';
export const META_FILE = 'tempa-tokenizer.json';
/** Bump when the folder's meaning changes; loaders refuse newer versions than they know. */
export const TOKENIZER_FORMAT_VERSION = 1;

export interface TokenizerMeta {
  format: 'tempa-tokenizer';
  formatVersion: number;
  vocabSize: number;
  merges: number;
  /** Special token text -> id. */
  specialTokens: Record<string, number>;
  /** The pre-tokenizer regex, also in tokenizer.json's Split step. */
  pretokenizer: string;
  /** UTF-8 bytes of corpus text the merges were learnt from. */
  trainBytes: number;
  /** Distinct pre-tokenized pieces in that text. */
  uniqueWords: number;
}

export async function saveTokenizer(
  dir: string,
  model: BpeModel,
  training: Pick<TokenizerMeta, 'trainBytes' | 'uniqueWords'>,
): Promise<TokenizerMeta> {
  const meta: TokenizerMeta = {
    format: 'tempa-tokenizer',
    formatVersion: TOKENIZER_FORMAT_VERSION,
    vocabSize: model.tokens.length,
    merges: model.merges.length,
    specialTokens: Object.fromEntries(model.specials.map((s) => [s.content, s.id])),
    pretokenizer: model.pattern,
    ...training,
  };
  await writeFile(join(dir, HF_FILE), toHfJson(model));
  await writeFile(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/** Loads a tokenizer folder; tempa-tokenizer.json is optional, so a bare HF tokenizer.json folder works too. */
export async function loadTokenizer(dir: string): Promise<{ tokenizer: Tokenizer; meta?: TokenizerMeta }> {
  const hfFile = join(dir, HF_FILE);
  const metaFile = join(dir, META_FILE);
  const model = fromHfJson(await readFile(hfFile, 'utf8'), hfFile);
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(model);
  } catch (error) {
    throw invalid(hfFile, error instanceof Error ? error.message : String(error), 'retrain the tokenizer, or restore the file');
  }
  const metaText = await readFile(metaFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (metaText === undefined) return { tokenizer };
  let meta: TokenizerMeta;
  try {
    meta = JSON.parse(metaText) as TokenizerMeta;
  } catch (error) {
    throw invalid(metaFile, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`, 'retrain the tokenizer, or restore the file');
  }
  if (!(meta.formatVersion <= TOKENIZER_FORMAT_VERSION)) {
    const message = `tokenizer format version ${meta.formatVersion} is newer than this tempa reads (${TOKENIZER_FORMAT_VERSION})`;
    throw invalid(metaFile, message, 'upgrade tempa, or retrain the tokenizer with this version');
  }
  return { tokenizer, meta };
}

const invalid = (file: string, message: string, hint: string) => new PipelineError('DATA_INVALID', `${file}: ${message}`, { hint });
