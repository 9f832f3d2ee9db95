// Adapts the GPT and its KV cache to the sampler's DecodeModel interface: the only place where
// generation touches tensors.
import type { DecodeModel } from '../generate/sample.ts';
import type { TF } from '../backend/tf.ts';
import { createKVCache, disposeKVCache, forwardStep, retainKVCacheRows, type GPTParams, type KVCache } from './gpt.ts';
import { type GPTConfig } from './config.ts';

export function gptDecoder(tf: TF, params: GPTParams, config: GPTConfig, batch: number): DecodeModel {
  let cache: KVCache = createKVCache(config, batch);
  return {
    vocabSize: config.vocabSize,
    maxPositions: config.blockSize,
    feed(tokens, rows, length, pads) {
      if (pads) {
        if (cache.length > 0) throw new Error('padding is given with the first tokens a decoder is fed, not later');
        cache = createKVCache(config, rows, pads);
      }
      const idx = tf.tensor2d(tokens, [rows, length], 'int32');
      const logits = forwardStep(tf, params, config, idx, cache); // (B, V)
      idx.dispose();
      const data = logits.dataSync() as Float32Array;
      logits.dispose();
      return data;
    },
    retain: (rows) => retainKVCacheRows(tf, config, cache, rows),
    dispose: () => disposeKVCache(cache),
  };
}
