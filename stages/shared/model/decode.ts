// Adapts the GPT and its KV cache to the sampler's DecodeModel interface: the only place where
// generation touches tensors.
import type { DecodeModel } from '../generate/sample.ts';
import type { TF } from '../backend/tf.ts';
import { createKVCache, disposeKVCache, forwardStep, type GPTConfig, type GPTParams } from './gpt.ts';

export function gptDecoder(tf: TF, params: GPTParams, config: GPTConfig, batch: number): DecodeModel {
  const cache = createKVCache(config, batch);
  return {
    vocabSize: config.vocabSize,
    maxPositions: config.blockSize,
    feed(tokens, rows, length) {
      const idx = tf.tensor2d(tokens, [rows, length], 'int32');
      const logits = forwardStep(tf, params, config, idx, cache); // (B, V)
      idx.dispose();
      const data = logits.dataSync() as Float32Array;
      logits.dispose();
      return data;
    },
    dispose: () => disposeKVCache(cache),
  };
}
