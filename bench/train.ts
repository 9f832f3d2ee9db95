// `node --import tsx bench/train.ts [--backend auto|wasm|cpu] [--steps N] [--profile]`: training speed of
// the GPT on random tokens (tokens/s, peak memory) for two sizes, on the chosen backend, and the same
// model in PyTorch on 2 CPU threads when torch is importable. --profile prints per-kernel time per step.
import os from 'node:os';
import { seededRandom } from '../engine/rng.ts';
import { parseArgs } from 'node:util';
import { gptLossAndGrads, initGPT, paramShapes, type GPTParams } from '../stages/shared/model/gpt.ts';
import { type GPTConfig } from '../stages/shared/model/config.ts';
import { adamwStep, clipGradsByGlobalNorm, createAdamW, disposeAdamW, type AdamW } from '../stages/shared/train/optim.ts';
import { BACKEND_CHOICES, initTf, type BackendChoice, type TF } from '../stages/shared/backend/tf.ts';
import { printKernelProfile } from './profile.ts';
import { printTable } from './timing.ts';
import { runTorchScript, torchAvailable, TORCH_THREADS } from './torch.ts';

interface BenchSize {
  label: string;
  config: GPTConfig;
  batch: number;
}

// The sizes of the performance issue. Its parameter counts (0.87M, 4.9M) include a separate lm_head,
// so the head is untied here; tying it changes no compute.
const SIZES: BenchSize[] = [
  { label: '0.87M', batch: 16, config: { vocabSize: 256, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128, tieWeights: false, positions: 'learned' } },
  { label: '4.9M', batch: 8, config: { vocabSize: 256, blockSize: 256, nLayer: 6, nHead: 8, nEmbd: 256, tieWeights: false, positions: 'learned' } },
];
const LR = 3e-4;
const MAX_NORM = 1.0;
const WARMUP_STEPS = 2; // first steps pay for XNNPACK operator creation and heap growth

const write = (line: string) => process.stdout.write(`${line}\n`);

interface Result {
  tokensPerSec: number;
  msPerStep: number;
  /** CPU time of the whole process per step (every thread, spin-waits included): on a machine other jobs share, it moves far less than wall time. */
  cpuMsPerStep: number;
  peakRssMiB: number;
  peakTensorMiB: number;
  /** The wasm heap only grows, so its size is the peak of everything ever live at once. */
  wasmHeapMiB?: number;
  finalLoss: number;
}

/** Deterministic token batches, so every backend sees the same data. */
function tokenSource(seed: number, vocab: number): (n: number) => Int32Array {
  const next = seededRandom(seed);
  return (n) => Int32Array.from({ length: n }, () => Math.floor(next() * vocab));
}

function trainStep(tf: TF, params: GPTParams, opt: AdamW, size: BenchSize, tokens: (n: number) => Int32Array): number {
  const { batch: B, config } = size;
  const T = config.blockSize;
  const data = tokens(B * (T + 1));
  const rows = Array.from({ length: B }, (_, b) => data.subarray(b * (T + 1), (b + 1) * (T + 1)));
  const idx = tf.tensor2d(Int32Array.from(rows.flatMap((r) => Array.from(r.subarray(0, T)))), [B, T], 'int32');
  const targets = tf.tensor2d(Int32Array.from(rows.flatMap((r) => Array.from(r.subarray(1)))), [B, T], 'int32');
  const { loss, grads } = gptLossAndGrads(tf, params, config, idx, targets);
  clipGradsByGlobalNorm(tf, grads, MAX_NORM);
  adamwStep(tf, opt, params, grads, LR);
  const value = loss.dataSync()[0]!;
  tf.dispose([idx, targets, loss, ...Object.values(grads)]);
  return value;
}

async function benchSize(tf: TF, size: BenchSize, steps: number, profile: boolean): Promise<Result> {
  const params = initGPT(tf, size.config, 1337);
  const opt = createAdamW(tf, params);
  const tokens = tokenSource(42, size.config.vocabSize);
  for (let i = 0; i < WARMUP_STEPS; i++) trainStep(tf, params, opt, size, tokens);
  let peakRss = process.memoryUsage().rss;
  let peakTensorBytes = tf.memory().numBytes;
  let loss = NaN;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    loss = trainStep(tf, params, opt, size, tokens);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
  }
  const ms = (performance.now() - start) / steps;
  const cpu = process.cpuUsage(cpuStart);
  if (profile) await printKernelProfile(tf, write, `one training step, ${size.label}`, () => trainStep(tf, params, opt, size, tokens));
  disposeAdamW(opt);
  tf.dispose(Object.values(params));
  const heap = (tf.backend() as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length;
  return {
    wasmHeapMiB: heap === undefined ? undefined : heap / 2 ** 20,
    tokensPerSec: (size.batch * size.config.blockSize) / (ms / 1000),
    msPerStep: ms,
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
    peakRssMiB: peakRss / 2 ** 20,
    peakTensorMiB: peakTensorBytes / 2 ** 20,
    finalLoss: loss,
  };
}

/** The same model and step in PyTorch (nanoGPT-style), on TORCH_THREADS threads. */
const TORCH_SCRIPT = String.raw`
import json, math, resource, sys, time, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1])); torch.manual_seed(1337)
cfg = json.loads(sys.argv[2]); steps = int(sys.argv[3]); warmup = int(sys.argv[4])
V, T, L, H, C, B = cfg['vocabSize'], cfg['blockSize'], cfg['nLayer'], cfg['nHead'], cfg['nEmbd'], cfg['batch']
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln_1 = nn.LayerNorm(C); s.c_attn = nn.Linear(C, 3*C); s.c_proj = nn.Linear(C, C)
        s.ln_2 = nn.LayerNorm(C); s.c_fc = nn.Linear(C, 4*C); s.mlp_proj = nn.Linear(4*C, C)
    def forward(s, x):
        q, k, v = s.c_attn(s.ln_1(x)).split(C, dim=2)
        q, k, v = [t.view(B, T, H, C//H).transpose(1, 2) for t in (q, k, v)]
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
        x = x + s.c_proj(y)
        return x + s.mlp_proj(F.gelu(s.c_fc(s.ln_2(x)), approximate='tanh'))
class GPT(nn.Module):
    def __init__(s):
        super().__init__(); s.wte = nn.Embedding(V, C); s.wpe = nn.Embedding(T, C)
        s.h = nn.ModuleList([Block() for _ in range(L)]); s.ln_f = nn.LayerNorm(C)
        s.lm_head = None if cfg['tieWeights'] else nn.Linear(C, V, bias=False)
    def forward(s, idx, tgt):
        x = s.wte(idx) + s.wpe(torch.arange(T))
        for b in s.h: x = b(x)
        head = s.wte.weight if s.lm_head is None else s.lm_head.weight
        return F.cross_entropy((s.ln_f(x) @ head.T).view(-1, V), tgt.view(-1))
model = GPT(); opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
def step():
    idx = torch.randint(V, (B, T)); tgt = torch.randint(V, (B, T))
    loss = model(idx, tgt); opt.zero_grad(set_to_none=True); loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); return loss.item()
for _ in range(warmup): step()
t0 = time.perf_counter()
for _ in range(steps): step()
ms = (time.perf_counter() - t0) / steps * 1000
print(json.dumps({'tokensPerSec': B*T/(ms/1000), 'msPerStep': ms, 'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'threads': torch.get_num_threads(), 'version': torch.__version__}))
`;

function runTorch(size: BenchSize, steps: number): { tokensPerSec: number; msPerStep: number; peakRssMiB: number } {
  const cfg = JSON.stringify({ ...size.config, batch: size.batch });
  return runTorchScript(TORCH_SCRIPT, [String(TORCH_THREADS), cfg, String(steps), String(WARMUP_STEPS)]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'auto' },
      steps: { type: 'string' },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  const choice = values.backend as BackendChoice;
  if (!BACKEND_CHOICES.includes(choice)) throw new Error(`--backend must be one of ${BACKEND_CHOICES.join('|')}`);
  const { tf, backend, detail } = await initTf(choice);
  const steps = Number(values.steps ?? (backend === 'cpu' ? 2 : 10)); // pure-JS cpu: ~1 GFLOP/s
  const cpus = os.cpus();
  write('tempa training benchmark (random tokens, AdamW, grad clip 1.0)');
  write(`node:    ${process.version}, cpu ${cpus[0]?.model ?? 'unknown'} x ${cpus.length}`);
  write(`backend: ${backend} — ${detail}`);
  const torch = torchAvailable();
  write(`pytorch: ${torch.ok ? `${torch.reason}, ${TORCH_THREADS} threads` : `unavailable (${torch.reason}); no comparison`}`);

  const rows: string[][] = [];
  for (const size of SIZES.filter((s) => !values.only || s.label === values.only)) {
    const r = await benchSize(tf, size, steps, values.profile);
    const shape = `L${size.config.nLayer} C${size.config.nEmbd} H${size.config.nHead} T${size.config.blockSize} B${size.batch}`;
    const params = Object.values(paramShapes(size.config)).reduce((total, shape) => total + shape.reduce((a, b) => a * b, 1), 0);
    let torchNote = 'PyTorch unavailable';
    if (torch.ok) {
      const t = runTorch(size, steps);
      torchNote = `PyTorch ${t.tokensPerSec.toFixed(0)} tok/s, peak RSS ${t.peakRssMiB.toFixed(0)} MiB; tfjs/PyTorch = ${(r.tokensPerSec / t.tokensPerSec).toFixed(2)}`;
    }
    const heap = r.wasmHeapMiB === undefined ? '-' : r.wasmHeapMiB.toFixed(0);
    rows.push([`${size.label} (${(params / 1e6).toFixed(3)}M, ${shape})`, backend, r.tokensPerSec.toFixed(0), r.msPerStep.toFixed(0), r.cpuMsPerStep.toFixed(0), r.peakRssMiB.toFixed(0), heap, r.peakTensorMiB.toFixed(1), r.finalLoss.toFixed(3), torchNote]);
  }
  printTable(write, `training throughput, ${steps} timed steps after ${WARMUP_STEPS} warm-up`, ['model', 'backend', 'tok/s', 'ms/step', 'CPU ms/step', 'peak RSS MiB', 'wasm heap MiB', 'tensors MiB', 'loss', 'note'], rows);
  write('tensors MiB: tf.memory().numBytes, sampled after each step (parameters and optimizer state).');
}

await main();
