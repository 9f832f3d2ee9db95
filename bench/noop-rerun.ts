// Section 1: how long a rerun takes when nothing changed, on a 50-stage recipe whose every stage is
// cached: in-process (resolve + run) and through the real CLI (which adds Node start-up and module
// loading), from dist/ with and without the no-op journal and through tsx (TEMPA_COMPILED=0), with Snakemake
// on the same chain timed in turn with tempa's reruns.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { RACY_MS } from '../engine/cli/noop-journal.ts';
import { defaultStoreDir } from '../engine/cache/store-dir.ts';
import { resolveRecipe } from '../engine/recipe/resolve.ts';
import { runRecipe, type RunSummary } from '../engine/run.ts';
import { TEMPA } from '../stages/builtin.ts';
import { countStatuses, runNode, runTempaOk } from './cli.ts';
import { writePipelineRecipe } from './recipes.ts';
import { prepareSnakemake, printSnakemake } from './snakemake.ts';
import { onceRow, printTable, STATS_COLUMNS, statsRow, summarise, timeOnce, timeRuns, type Stats } from './timing.ts';

const RERUNS = 5;
/** The CLI rerun is the number compared with Snakemake's: more runs, as the machine may be shared. */
const CLI_RERUNS = 10;
const HELP_RUNS = 20;

function count(summary: RunSummary, status: string): number {
  return summary.outcomes.filter((o) => o.status === status).length;
}

async function runInProcess(file: string): Promise<RunSummary> {
  return runRecipe(await resolveRecipe(file, TEMPA));
}

/** A no-op rerun must execute nothing; anything else means the benchmark measures the wrong thing. */
function assertNothingRan(ran: number, cached: number, stageCount: number, how: string): void {
  if (ran !== 0 || cached !== stageCount) throw new Error(`${how} rerun executed ${ran} stages and found ${cached}/${stageCount} cached; expected 0 and ${stageCount}`);
}

/** `runs` rounds; each round calls every function once, in turn, so a busy machine weighs on all of them alike. */
async function timeInTurn(runs: number, fns: readonly (() => Promise<unknown>)[]): Promise<Stats[]> {
  const samples: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, fn] of fns.entries()) samples[j]!.push((await timeOnce(fn)).ms);
  }
  return samples.map(summarise);
}

export async function benchNoopRerun(dir: string, write: (line: string) => void): Promise<void> {
  const recipe = await writePipelineRecipe(dir);
  const { file, stageCount } = recipe;
  // The recipe's commands are trusted as a user would trust them (`tempa trust`), in a trust file of its own.
  const env = { TEMPA_TRUST_FILE: path.join(dir, 'trust.json') };
  const viaTsx = { ...env, TEMPA_COMPILED: '0' };
  await runTempaOk(['trust', file], dir, env);

  const fill = await timeOnce(() => runInProcess(file));
  if (!fill.value.ok || count(fill.value, 'ran') !== stageCount) {
    const failed = fill.value.outcomes.filter((o) => o.error).map((o) => `${o.name}: ${o.error?.message}`);
    throw new Error(`filling the cache ran ${count(fill.value, 'ran')}/${stageCount} stages\n${failed.join('\n')}`);
  }
  const filledAt = Date.now();

  const inProcess = await timeRuns(RERUNS, () => runInProcess(file), (s) => assertNothingRan(count(s, 'ran'), count(s, 'cached'), stageCount, 'in-process'));
  const snakemake = await prepareSnakemake(dir, recipe, write);
  // A run is journalled only once its files are older than the racy window (engine/cli/noop-journal.ts), as
  // they are when a user reruns: wait that long after filling, then one untimed rerun of each records it.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, filledAt + RACY_MS + 200 - Date.now())));
  const journal = path.join(defaultStoreDir(dir), 'noop');
  const cliRerun = async () => {
    const r = await runTempaOk(['run', file, '--json'], dir, env);
    const counts = countStatuses(r.stdout);
    assertNothingRan(counts.ran ?? 0, counts.cached ?? 0, stageCount, 'CLI');
  };
  const fullRerun = async () => {
    await rm(journal, { recursive: true, force: true });
    await cliRerun();
  };
  await cliRerun();
  if (!existsSync(journal)) throw new Error('the CLI rerun recorded no journal: every later rerun measures the full path');
  await snakemake?.rerun();
  const timed = await timeInTurn(CLI_RERUNS, [cliRerun, fullRerun, ...(snakemake ? [snakemake.rerun] : [])]);
  const [cli, cliFull] = timed as [Stats, Stats];
  const cliTsx = await timeRuns(RERUNS, () => runTempaOk(['run', file, '--json'], dir, viaTsx));
  const help = await timeRuns(HELP_RUNS, () => runTempaOk(['--help'], dir));
  const helpTsx = await timeRuns(RERUNS, () => runTempaOk(['--help'], dir, viaTsx));
  const bareNode = await timeRuns(RERUNS, () => runNode(['-e', '0'], dir));

  printTable(write, `1. No-op rerun: ${stageCount}-stage recipe (4 load-data, 4 split-data, 42 exec; fan-out 20, chain 16), every stage cached`, STATS_COLUMNS, [
    onceRow('first run, fills the cache (in-process)', fill.ms, `${stageCount} ran, concurrency 2 (not part of the rerun numbers)`),
    statsRow('rerun, in-process (resolveRecipe + runRecipe)', inProcess, `0 ran, ${stageCount} cached each time; modules already loaded`),
    statsRow('rerun, CLI: node bin/tempa.js run --json', cli, `0 ran, ${stageCount} cached each time; replays the no-op journal, modules from dist/`),
    statsRow('rerun, CLI, no journal (deleted before each)', cliFull, 'the same through resolve + run; records the journal again'),
    statsRow('rerun, CLI through tsx (TEMPA_COMPILED=0)', cliTsx, 'no build id, so no journal; TypeScript compiled as it loads'),
    statsRow('CLI floor: node bin/tempa.js --help', help, 'Node + the command table, no recipe'),
    statsRow('CLI floor through tsx (TEMPA_COMPILED=0)', helpTsx, 'Node + tsx + the command table'),
    statsRow('Node floor: node -e 0', bareNode, 'Node start-up alone'),
  ]);
  if (snakemake) printSnakemake(snakemake, timed[2]!, { journal: cli, full: cliFull }, write);
}
