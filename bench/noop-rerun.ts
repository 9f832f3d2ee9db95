// Section 1: how long a rerun takes when nothing changed, on a 50-stage recipe whose every stage is
// cached: in-process (resolve + run) and through the real CLI (which adds Node start-up and module
// loading), from dist/ and, for comparison, through tsx (TEMPA_COMPILED=0); then Snakemake on the same chain.
import path from 'node:path';
import { resolveRecipe } from '../engine/recipe/resolve.ts';
import { runRecipe, type RunSummary } from '../engine/run.ts';
import { TEMPA } from '../stages/builtin.ts';
import { countStatuses, runNode, runTempaOk } from './cli.ts';
import { writePipelineRecipe } from './recipes.ts';
import { benchSnakemake } from './snakemake.ts';
import { onceRow, printTable, STATS_COLUMNS, statsRow, timeOnce, timeRuns } from './timing.ts';

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

  const inProcess = await timeRuns(RERUNS, () => runInProcess(file), (s) => assertNothingRan(count(s, 'ran'), count(s, 'cached'), stageCount, 'in-process'));
  const cli = await timeRuns(
    CLI_RERUNS,
    () => runTempaOk(['run', file, '--json'], dir, env),
    (r) => {
      const counts = countStatuses(r.stdout);
      assertNothingRan(counts.ran ?? 0, counts.cached ?? 0, stageCount, 'CLI');
    },
  );
  const cliTsx = await timeRuns(RERUNS, () => runTempaOk(['run', file, '--json'], dir, viaTsx));
  const help = await timeRuns(HELP_RUNS, () => runTempaOk(['--help'], dir));
  const helpTsx = await timeRuns(RERUNS, () => runTempaOk(['--help'], dir, viaTsx));
  const bareNode = await timeRuns(RERUNS, () => runNode(['-e', '0'], dir));

  printTable(write, `1. No-op rerun: ${stageCount}-stage recipe (4 load-data, 4 split-data, 42 exec; fan-out 20, chain 16), every stage cached`, STATS_COLUMNS, [
    onceRow('first run, fills the cache (in-process)', fill.ms, `${stageCount} ran, concurrency 2 (not part of the rerun numbers)`),
    statsRow('rerun, in-process (resolveRecipe + runRecipe)', inProcess, `0 ran, ${stageCount} cached each time; modules already loaded`),
    statsRow('rerun, CLI: node bin/tempa.js run --json', cli, `0 ran, ${stageCount} cached each time; includes Node start-up, modules from dist/`),
    statsRow('rerun, CLI through tsx (TEMPA_COMPILED=0)', cliTsx, 'the same, TypeScript compiled as it loads (no dist/)'),
    statsRow('CLI floor: node bin/tempa.js --help', help, 'Node + the command table, no recipe'),
    statsRow('CLI floor through tsx (TEMPA_COMPILED=0)', helpTsx, 'Node + tsx + the command table'),
    statsRow('Node floor: node -e 0', bareNode, 'Node start-up alone'),
  ]);
  await benchSnakemake(dir, recipe, cli, CLI_RERUNS, write);
}
