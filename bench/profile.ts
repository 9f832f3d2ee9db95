// Where one benchmark step spends its time: the step run once under tf.profile, kernels grouped by
// name, slowest first (bench/train and bench/preference print it with --profile).
import type { TF } from '../stages/shared/backend/tf.ts';
import { printTable } from './timing.ts';

export async function printKernelProfile(tf: TF, write: (line: string) => void, what: string, step: () => unknown): Promise<void> {
  const start = performance.now();
  // Awaited, so an async step's kernels after its first await count too.
  const info = await tf.profile(async () => {
    await step();
  });
  const wallMs = performance.now() - start;
  const byKernel = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    // customGrad ops appear as scopes ("fusedMatMul__op") whose time also counts their kernels.
    if (k.name.endsWith('__op') || k.name === 'unnamed scope') continue;
    const entry = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byKernel.set(k.name, entry);
  }
  const kernelMs = [...byKernel.values()].reduce((t, e) => t + e.ms, 0);
  const rows = [...byKernel.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, e]) => [name, String(e.calls), e.ms.toFixed(1), `${((100 * e.ms) / kernelMs).toFixed(1)}%`]);
  printTable(write, `per-kernel time of ${what} (kernels ${kernelMs.toFixed(0)} ms of ${wallMs.toFixed(0)} ms wall, profiled)`, ['kernel', 'calls', 'ms/step', 'share'], rows);
}
