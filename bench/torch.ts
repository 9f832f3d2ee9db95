// PyTorch beside tempa in the benchmarks: which Python has torch, and running a script there that
// prints one JSON line. Benchmarks run the same model in both and print both numbers.
import { spawnSync } from 'node:child_process';

/** The Python that has torch: TEMPA_PYTHON (e.g. a virtualenv's python) or python3. */
export const PYTHON = process.env.TEMPA_PYTHON ?? 'python3';
export const TORCH_THREADS = 2;

export function torchAvailable(): { ok: boolean; reason: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error) return { ok: false, reason: `${PYTHON} not runnable (${probe.error.message})` };
  if (probe.status !== 0) return { ok: false, reason: (probe.stderr.trim().split('\n').pop() ?? 'import torch failed').trim() };
  return { ok: true, reason: `torch ${probe.stdout.trim()}` };
}

/** Runs `script` with `args` and parses the last line it prints as JSON. */
export function runTorchScript<T>(script: string, args: string[]): T {
  const run = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`PyTorch run failed: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as T;
}
