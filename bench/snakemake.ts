// Section 1b: Snakemake's no-op rerun of the same 50-stage chain (bench/snakefile.ts), timed beside
// tempa's CLI rerun. Needs the `snakemake` command (Debian: apt-get install -y --no-install-recommends
// snakemake); without it the section says so and is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toSnakefile } from './snakefile.ts';
import type { PipelineRecipe } from './recipes.ts';
import { formatMs, onceRow, printTable, STATS_COLUMNS, statsRow, timeOnce, timeRuns, type Stats } from './timing.ts';

export const SNAKEMAKE_INSTALL = 'apt-get install -y --no-install-recommends snakemake';
const NOTHING_TO_DO = 'Nothing to be done';

interface Run {
  code: number | null;
  output: string;
}

function snakemake(args: readonly string[], cwd: string): Promise<Run> {
  const child = spawn('snakemake', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function snakemakeOk(args: readonly string[], cwd: string): Promise<Run> {
  const run = await snakemake(args, cwd);
  if (run.code !== 0) throw new Error(`snakemake ${args.join(' ')} exited ${run.code}\n${run.output.slice(-2000)}`);
  return run;
}

/** Its version, or undefined when there is no `snakemake` command. */
function snakemakeVersion(): string | undefined {
  const probe = spawnSync('snakemake', ['--version'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0 ? undefined : probe.stdout.trim();
}

/** `tempaCli`: tempa's CLI no-op rerun of the same recipe, measured just before. */
export async function benchSnakemake(dir: string, recipe: PipelineRecipe, tempaCli: Stats, runs: number, write: (line: string) => void): Promise<void> {
  const version = snakemakeVersion();
  if (!version) {
    write('');
    write(`1b. Snakemake: skipped, no \`snakemake\` command (on Debian: ${SNAKEMAKE_INSTALL})`);
    return;
  }
  // The recipe's data files (written beside it) are the Snakefile's too, at the same relative paths.
  await writeFile(path.join(dir, 'Snakefile'), toSnakefile(recipe.stages, recipe.datasets));
  const fill = await timeOnce(() => snakemakeOk(['-j1'], dir));
  const ruleCount = recipe.stageCount;
  const rerun = await timeRuns(runs, () => snakemakeOk(['-j1', '--quiet'], dir), (r) => {
    if (!r.output.includes(NOTHING_TO_DO)) throw new Error(`snakemake rerun did work; expected "${NOTHING_TO_DO}"\n${r.output.slice(-2000)}`);
  });
  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;
  printTable(write, `1b. The same ${ruleCount}-stage chain in Snakemake ${version} (a Snakefile with one rule per stage, the same shell commands)`, STATS_COLUMNS, [
    onceRow('first run, fills the outputs: snakemake -j1', fill.ms, `${ruleCount} rules ran`),
    statsRow('no-op rerun: snakemake -j1 --quiet', rerun, `"${NOTHING_TO_DO}" each time`),
    statsRow('no-op rerun: tempa run --json (from 1.)', tempaCli, `Snakemake / tempa: ${ratio(rerun.median, tempaCli.median)} median, ${ratio(rerun.min, tempaCli.min)} min`),
  ]);
  write(`(tempa's goal: at most 250 ms and at least 5x faster than Snakemake; median ${formatMs(tempaCli.median)} vs ${formatMs(rerun.median)} here)`);
}
