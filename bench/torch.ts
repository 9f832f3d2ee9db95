// PyTorch beside tempa in the benchmarks: which Python has torch, and running a script there that
// prints one JSON line. Benchmarks run the same model in both and print both numbers.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

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

/** The line a lockstep Python script prints when it has finished one timed unit. */
const UNIT_DONE = '@@done';

/** A Python reference run in lockstep with tempa: see startTorchLockstep. */
export interface LockstepRun<T> {
  /** Lets the script time its next unit and resolves when it has (tempa's own units run in between). */
  unit(): Promise<void>;
  /** Closes the pipe and parses the last JSON line the script prints. */
  finish(): Promise<T>;
}

/**
 * Starts the Python file `file` with `args` as a lockstep partner: before each timed unit it reads a line from
 * stdin, after it prints UNIT_DONE. tempa's and PyTorch's units then alternate, so on a machine shared with
 * other work both sides meet the same load, where two back-to-back runs meet whatever load each one's minutes had.
 */
export function startTorchLockstep<T>(file: string, args: string[]): LockstepRun<T> {
  const child = spawn(PYTHON, [file, ...args], { env: { ...process.env, OMP_WAIT_POLICY }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let last = '';
  const waiting: Array<() => void> = [];
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === UNIT_DONE) waiting.shift()?.();
    else if (line.trim() !== '') last = line;
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const failed = (code: number) => new Error(`PyTorch run failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  // A script that died mid-run closes its stdin: the write fails with EPIPE, and `exited` reports why it died.
  child.stdin.on('error', () => undefined);
  return {
    unit: () =>
      new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        child.stdin.write('go\n');
        void exited.then((code) => reject(failed(code)));
      }),
    async finish() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw failed(code);
      return JSON.parse(last) as T;
    },
  };
}
