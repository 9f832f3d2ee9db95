// Prints batched generation speed (tokens/s) with the KV cache at batch 1 and 16, for the 0.87M and
// 4.9M models of bench/train, on the active backend, and the same decoding in PyTorch (2 threads) when
// TEMPA_PYTHON (or python3) has torch. RL stages sample thousands of answers, so this matters as much
// as training speed. Usage: node --import tsx bench/sample.ts [--backend native|wasm|cpu|auto]
import os from 'node:os';
import { seededRandom } from '../engine/rng.ts';
import { gptDecoder } from '../stages/shared/model/decode.ts';
import { countParams, initGPT, resolveModelConfig } from '../stages/shared/model/gpt.ts';

import { generate } from '../stages/shared/generate/sample.ts';
import { initTf, type BackendChoice } from '../stages/shared/backend/tf.ts';
import { runTorchScript, torchAvailable, TORCH_THREADS } from './torch.ts';

const backendArg = process.argv.indexOf('--backend');
const choice = (backendArg > 0 ? process.argv[backendArg + 1] : 'auto') as BackendChoice;
const { tf, backend, detail } = await initTf(choice);

console.log('tempa sampling benchmark');
console.log(`date:     ${new Date().toISOString()}`);
console.log(`node:     ${process.version}; cpu: ${os.cpus()[0]?.model} x ${os.cpus().length}`);
console.log(`tfjs backend: ${backend} (${detail})`);
const torch = torchAvailable();
console.log(`pytorch:  ${torch.ok ? `${torch.reason}, ${TORCH_THREADS} threads, same model, KV cache` : `unavailable (${torch.reason})`}`);
console.log('');

const MODELS = [
  { name: '0.87M', spec: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 128 } },
  { name: '4.9M', spec: { nLayer: 6, nHead: 8, nEmbd: 256, blockSize: 256 } },
];
const PROMPT = 8;
const NEW_TOKENS = 64;
/** Timed generations after one warm-up, on both sides: one 64-token run is ~0.1 s, too short to time alone. */
const RUNS = 5;

// The same GPT decoding with a KV cache in PyTorch: prompt once, then one token per step, sampled.
const TORCH_SAMPLE = String.raw`
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1])); torch.manual_seed(2)
cfg = json.loads(sys.argv[2]); B, P, N, RUNS = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
V, T, L, H, C = 256, cfg['blockSize'], cfg['nLayer'], cfg['nHead'], cfg['nEmbd']
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln_1 = nn.LayerNorm(C); s.c_attn = nn.Linear(C, 3*C); s.c_proj = nn.Linear(C, C)
        s.ln_2 = nn.LayerNorm(C); s.c_fc = nn.Linear(C, 4*C); s.mlp_proj = nn.Linear(4*C, C)
    def forward(s, x, cache):
        b, t, _ = x.shape
        q, k, v = [z.view(b, t, H, C//H).transpose(1, 2) for z in s.c_attn(s.ln_1(x)).split(C, dim=2)]
        if cache: k = torch.cat([cache[0], k], 2); v = torch.cat([cache[1], v], 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=not cache).transpose(1, 2).contiguous().view(b, t, C)
        x = x + s.c_proj(y)
        return x + s.mlp_proj(F.gelu(s.c_fc(s.ln_2(x)), approximate='tanh')), (k, v)
class GPT(nn.Module):
    def __init__(s):
        super().__init__(); s.wte = nn.Embedding(V, C); s.wpe = nn.Embedding(T, C)
        s.h = nn.ModuleList([Block() for _ in range(L)]); s.ln_f = nn.LayerNorm(C); s.lm_head = nn.Linear(C, V, bias=False)
    def forward(s, idx, pos, caches):
        x = s.wte(idx) + s.wpe(torch.arange(pos, pos + idx.shape[1]))
        new = []
        for blk, c in zip(s.h, caches): x, kv = blk(x, c); new.append(kv)
        return s.lm_head(s.ln_f(x[:, -1])), new
model = GPT().eval()
def run():
    idx = torch.randint(V, (B, P)); caches = [None] * L
    with torch.inference_mode():
        logits, caches = model(idx, 0, caches)
        for i in range(N):
            nxt = torch.multinomial(F.softmax(logits, -1), 1)
            if i == N - 1: break
            logits, caches = model(nxt, P + i, caches)
run()
t0 = time.perf_counter()
for _ in range(RUNS): run()
sec = time.perf_counter() - t0
print(json.dumps({'tokensPerSec': RUNS * B * N / sec}))
`;

console.log(`${RUNS} timed runs after a warm-up; seconds and ms/step per run`);
console.log('model   params  batch  new tokens/row  seconds  tokens/s  ms/step  PyTorch tok/s  tempa/PyTorch');
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
    let generated = 0;
    for (let r = 0; r < RUNS; r++) generated += run().tokens.reduce((n, row) => n + row.length, 0);
    const seconds = (performance.now() - started) / 1000 / RUNS;
    const tokensPerSec = generated / RUNS / seconds;
    const pytorch = torch.ok
      ? runTorchScript<{ tokensPerSec: number }>(TORCH_SAMPLE, [String(TORCH_THREADS), JSON.stringify(spec), String(batch), String(PROMPT), String(NEW_TOKENS), String(RUNS)]).tokensPerSec
      : undefined;
    console.log(
      `${name.padEnd(6)}  ${(countParams(params) / 1e6).toFixed(2).padStart(5)}M  ${String(batch).padStart(5)}  ${String(NEW_TOKENS).padStart(14)}  ${seconds.toFixed(2).padStart(7)}  ${Math.round(tokensPerSec).toString().padStart(8)}  ${((seconds * 1000) / NEW_TOKENS).toFixed(1).padStart(7)}` +
        `  ${(pytorch === undefined ? '-' : Math.round(pytorch).toString()).padStart(13)}  ${(pytorch === undefined ? '-' : (tokensPerSec / pytorch).toFixed(2)).padStart(13)}`,
    );
  }
  for (const p of Object.values(params)) p.dispose();
}
console.log(`\nlive tensors at the end: ${tf.memory().numTensors}`);
