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
export const runTorchScript = <T>(script: string, args: string[]): T => runPython<T>(['-c', script, ...args]);

/**
 * OpenMP threads that spin while they wait make PyTorch's many small ops 10-30x slower on a machine whose
 * cores are busy with other work (measured here: 5 s instead of 0.2 s for one GPT step). Passive waiting
 * gives PyTorch its fair speed there and costs it nothing on an idle machine.
 */
export const OMP_WAIT_POLICY = process.env.OMP_WAIT_POLICY ?? 'PASSIVE';

/** Runs the Python file `file` with `args` (OMP_WAIT_POLICY as above) and parses the last line it prints as JSON. */
export const runTorchFile = <T>(file: string, args: string[]): T => runPython<T>([file, ...args], { ...process.env, OMP_WAIT_POLICY });

function runPython<T>(argv: string[], env: NodeJS.ProcessEnv = process.env): T {
  const run = spawnSync(PYTHON, argv, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env });
  if (run.status !== 0) throw new Error(`PyTorch run failed: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as T;
}

/** Whether TEMPA_PYTHON also has `module` (e.g. trl), and its version. */
export function pythonModule(module: string): { ok: boolean; reason: string } {
  const probe = spawnSync(PYTHON, ['-c', `import ${module} as m; print(getattr(m, '__version__', ''))`], { encoding: 'utf8' });
  if (probe.status !== 0) return { ok: false, reason: (probe.stderr ?? '').trim().split('\n').pop() ?? `import ${module} failed` };
  return { ok: true, reason: `${module} ${probe.stdout.trim()}` };
}
