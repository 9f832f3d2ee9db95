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

export interface SnakemakeChain {
  version: string;
  ruleCount: number;
  fillMs: number;
  /** One no-op rerun; throws unless Snakemake says it has nothing to do. */
  rerun(): Promise<void>;
}

/** Writes the Snakefile beside the recipe and runs it once to fill the outputs; undefined (said so) without `snakemake`. */
export async function prepareSnakemake(dir: string, recipe: PipelineRecipe, write: (line: string) => void): Promise<SnakemakeChain | undefined> {
  const version = snakemakeVersion();
  if (!version) {
    write('');
    write(`1b. Snakemake: skipped, no \`snakemake\` command (on Debian: ${SNAKEMAKE_INSTALL})`);
    return undefined;
  }
  // The recipe's data files (written beside it) are the Snakefile's too, at the same relative paths.
  await writeFile(path.join(dir, 'Snakefile'), toSnakefile(recipe.stages, recipe.datasets));
  const fill = await timeOnce(() => snakemakeOk(['-j1'], dir));
  const rerun = async () => {
    const r = await snakemakeOk(['-j1', '--quiet'], dir);
    if (!r.output.includes(NOTHING_TO_DO)) throw new Error(`snakemake rerun did work; expected "${NOTHING_TO_DO}"\n${r.output.slice(-2000)}`);
  };
  return { version, ruleCount: recipe.stageCount, fillMs: fill.ms, rerun };
}

/** Snakemake's reruns beside tempa's, timed in turn with them (the same load for both). */
export function printSnakemake(chain: SnakemakeChain, rerun: Stats, tempa: { journal: Stats; full: Stats }, write: (line: string) => void): void {
  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;
  const versus = (s: Stats) => `Snakemake / tempa: ${ratio(rerun.median, s.median)} median, ${ratio(rerun.min, s.min)} min`;
  printTable(write, `1b. The same ${chain.ruleCount}-stage chain in Snakemake ${chain.version} (a Snakefile with one rule per stage, the same shell commands), reruns in turn with tempa's`, STATS_COLUMNS, [
    onceRow('first run, fills the outputs: snakemake -j1', chain.fillMs, `${chain.ruleCount} rules ran`),
    statsRow('no-op rerun: snakemake -j1 --quiet', rerun, `"${NOTHING_TO_DO}" each time`),
    statsRow('no-op rerun: tempa run --json (from 1.)', tempa.journal, versus(tempa.journal)),
    statsRow('no-op rerun: tempa run --json, no journal (from 1.)', tempa.full, versus(tempa.full)),
  ]);
  write(`(tempa's goal: at most 250 ms and at least 5x faster than Snakemake; median ${formatMs(tempa.journal.median)} vs ${formatMs(rerun.median)} here)`);
}
