// tokenizer: learns a byte-level BPE vocabulary from the recipe's corpus and saves it as a Hugging Face
// tokenizer.json (plus tempa's metadata), reserving the special tokens later stages rely on.
import { mkdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PipelineError } from '../../engine/errors.ts';
import { defineStage } from '../../engine/stage.ts';
import { Tokenizer } from '../shared/tokenizer/bpe.ts';
import { trainBpe } from '../shared/tokenizer/bpe-train.ts';
import { WordCounts } from '../shared/tokenizer/word-counts.ts';
import { readCorpusTexts, type CorpusStats } from '../shared/data/corpus-text.ts';
import { HF_FILE, META_FILE, saveTokenizer } from '../shared/tokenizer/tokenizer-dir.ts';
import { tokenizerSchema } from './schema.ts';

const OUTPUT_DIR = 'tokenizer';

export default defineStage({
  name: 'tokenizer',
  version: 1,
  description: 'Train a byte-level BPE tokenizer with reserved special tokens; saved as a Hugging Face tokenizer.json',
  headline: ['vocabSize', 'bytesPerToken'],
  schema: tokenizerSchema,
  inputs: () => ({
    corpus: { kind: 'any', description: 'JSONL records with a text field (as load-data and split-data write), or plain text files' },
  }),
  outputs: () => ({
    tokenizer: { kind: 'dir', description: `${HF_FILE} (Hugging Face format) and ${META_FILE} (vocabulary facts, special ids)` },
  }),
  async run(ctx, params) {
    const corpus = ctx.inputs.corpus;
    if (corpus === undefined || corpus.files.length === 0) {
      throw new PipelineError('RECIPE_INVALID', 'tokenizer needs an input named `corpus` that holds at least one file', {
        hint: 'bind it in the recipe, e.g. `inputs: { corpus: split.train }`',
      });
    }
    const started = performance.now();
    const words = new WordCounts();
    const read: CorpusStats = { bytes: 0, capped: false };
    const texts = readCorpusTexts(
      corpus.files,
      {
        textField: params.textField,
        maxBytes: params.maxTrainBytes,
        signal: ctx.signal,
        displayName: (file) => relative(ctx.recipeDir, file).split(sep).join('/'),
      },
      read,
    );
    for await (const text of texts) words.add(text);
    const trainBytes = read.bytes;
    if (trainBytes === 0) {
      throw new PipelineError('DATA_INVALID', 'the corpus holds no text to learn a tokenizer from', {
        hint: `check that the input files are not empty and that records have a \`${params.textField}\` field with text`,
      });
    }
    const capped = read.capped ? ' (capped by maxTrainBytes)' : '';
    ctx.log.info(`learning ${params.vocabSize} tokens from ${trainBytes} bytes${capped}, ${words.counts.size} distinct words`);

    const { model, exhausted } = trainBpe(words.counts, {
      vocabSize: params.vocabSize,
      signal: ctx.signal,
      onProgress: (merges, target) => ctx.progress({ step: merges, total: target, metrics: { merges } }),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const vocabSize = model.tokens.length;
    if (exhausted) {
      ctx.log.warn(
        `the corpus ran out of pairs to merge after ${model.merges.length} merges: the vocabulary has ${vocabSize} tokens, not the ${params.vocabSize} asked for`,
      );
    }

    // Compression on the training text, from the word counts: encoding each distinct word once is the
    // same as encoding the whole text, since the text is pre-tokenized into exactly these words.
    const tokenizer = new Tokenizer(model);
    let tokens = 0;
    for (const [word, count] of words.counts) tokens += tokenizer.encodePiece(word).length * count;
    const bytesPerToken = trainBytes / tokens;

    const dir = join(ctx.outDir, OUTPUT_DIR);
    await mkdir(dir);
    await saveTokenizer(dir, model, { trainBytes, uniqueWords: words.counts.size });
    ctx.log.info(`${vocabSize} tokens (${model.merges.length} merges) in ${trainSeconds.toFixed(2)}s; ${bytesPerToken.toFixed(2)} bytes/token`);
    return {
      metrics: { vocabSize, trainBytes, trainSeconds, bytesPerToken },
      artifacts: { tokenizer: OUTPUT_DIR },
    };
  },
});
