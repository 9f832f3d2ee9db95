// Prints batched generation speed (tokens/s) with the KV cache at batch 1 and 16, for the 0.87M and
// 4.9M models of bench/train, on the active backend. RL stages sample thousands of answers, so this
// matters as much as training speed. Usage: node --import tsx bench/sample.ts [--backend wasm|cpu|auto]
import os from 'node:os';
import { seededRandom } from '../engine/rng.ts';
import { gptDecoder } from '../stages/shared/model/decode.ts';
import { countParams, initGPT, resolveModelConfig } from '../stages/shared/model/gpt.ts';
import { disposeParams } from '../stages/shared/model/model-io.ts';
import { generate } from '../stages/shared/sample.ts';
import { initTf, type BackendChoice } from '../stages/shared/tf.ts';

const backendArg = process.argv.indexOf('--backend');
const choice = (backendArg > 0 ? process.argv[backendArg + 1] : 'auto') as BackendChoice;
const { tf, backend, detail } = await initTf(choice);

console.log('tempa sampling benchmark');
console.log(`date:     ${new Date().toISOString()}`);
console.log(`node:     ${process.version}; cpu: ${os.cpus()[0]?.model} x ${os.cpus().length}`);
console.log(`tfjs backend: ${backend} (${detail})`);
console.log('');

const MODELS = [
  { name: '0.87M', spec: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 128 } },
  { name: '4.9M', spec: { nLayer: 6, nHead: 8, nEmbd: 256, blockSize: 256 } },
];
const PROMPT = 8;
const NEW_TOKENS = 64;

console.log('model   params  batch  new tokens/row  seconds  tokens/s  ms/step');
for (const { name, spec } of MODELS) {
  const config = resolveModelConfig(spec, 256);
  const params = initGPT(tf, config, 1);
  for (const batch of [1, 16]) {
    const random = seededRandom(2);
    const prompts = Array.from({ length: batch }, (_, b) => Array.from({ length: PROMPT }, (_, t) => (b * 7 + t) % 256));
    const run = () => {
      const decoder = gptDecoder(tf, params, config, batch);
      try {
        return generate(decoder, prompts, { maxTokens: NEW_TOKENS, temperature: 1, topK: 0, topP: 1, stopTokens: [] }, random);
      } finally {
        decoder.dispose();
      }
    };
    run(); // warm-up: kernels compiled, memory allocated
    const started = performance.now();
    const out = run();
    const seconds = (performance.now() - started) / 1000;
    const generated = out.tokens.reduce((n, row) => n + row.length, 0);
    console.log(
      `${name.padEnd(6)}  ${(countParams(params) / 1e6).toFixed(2).padStart(5)}M  ${String(batch).padStart(5)}  ${String(NEW_TOKENS).padStart(14)}  ${seconds.toFixed(2).padStart(7)}  ${Math.round(generated / seconds).toString().padStart(8)}  ${((seconds * 1000) / NEW_TOKENS).toFixed(1).padStart(7)}`,
    );
  }
  disposeParams(params);
}
console.log(`\nlive tensors at the end: ${tf.memory().numTensors}`);
