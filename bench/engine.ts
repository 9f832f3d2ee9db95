// `npm run bench:engine`: prints how fast the engine itself is (no-op reruns, DAG resolution, dataset
// hashing), on recipes and data generated in a temp folder that is removed at the end, even on error.
// It prints numbers only; correctness checks (a cached rerun executes nothing) throw, timings never do.
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './cli.ts';
import { benchDagResolve } from './dag-resolve.ts';
import { benchHashDataset } from './hash-dataset.ts';
import { benchNoopRerun } from './noop-rerun.ts';
import { formatMs } from './timing.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);

function printHeader(): void {
  const cpus = os.cpus();
  write('tempa engine benchmark');
  write(`date:     ${new Date().toISOString()}`);
  write(`node:     ${process.version}`);
  write(`cpu:      ${cpus[0]?.model ?? 'unknown'} x ${cpus.length}`);
  write(`memory:   ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`);
  write(`platform: ${os.platform()} ${os.release()}, temp dir ${os.tmpdir()}`);
  write(`load:     ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min) at the start`);
  const built = existsSync(path.join(REPO_ROOT, 'dist', 'manifest.json'));
  write(`cli:      ${built ? 'modules from dist/ (npm run build): dist/direct/ with no module hook while every source is as built' : 'no dist/: through tsx'}`);
  write('tfjs backend: none (engine benchmark; no tensors)');
}

async function main(): Promise<void> {
  printHeader();
  const root = await mkdtemp(path.join(os.tmpdir(), 'tempa-bench-'));
  // Ctrl-C must not leave a 1 GiB file behind: remove the folder, then die of the same signal.
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(root, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = performance.now();
  try {
    const sections: [string, (dir: string, w: typeof write) => Promise<void>][] = [
      ['noop', benchNoopRerun],
      ['dag', benchDagResolve],
      ['hash', benchHashDataset],
    ];
    for (const [name, bench] of sections) {
      const dir = await mkdtemp(path.join(root, `${name}-`));
      await bench(dir, write);
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  write('');
  write(`total ${formatMs(performance.now() - started)}; temp files removed; load at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
