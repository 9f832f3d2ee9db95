// Section 1: how long a rerun takes when nothing changed, on a 50-stage recipe whose every stage is
// cached: in-process (resolve + run) and through the real CLI (which adds Node and tsx start-up).
import { resolveRecipe } from '../engine/recipe/resolve.ts';
import { runRecipe, type RunSummary } from '../engine/run.ts';
import { TEMPA } from '../stages/builtin.ts';
import { countStatuses, runNode, runTempaOk } from './cli.ts';
import { writePipelineRecipe } from './recipes.ts';
import { onceRow, printTable, STATS_COLUMNS, statsRow, timeOnce, timeRuns } from './timing.ts';

const RERUNS = 5;

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
  const { file, stageCount } = await writePipelineRecipe(dir);

  const fill = await timeOnce(() => runInProcess(file));
  if (!fill.value.ok || count(fill.value, 'ran') !== stageCount) {
    const failed = fill.value.outcomes.filter((o) => o.error).map((o) => `${o.name}: ${o.error?.message}`);
    throw new Error(`filling the cache ran ${count(fill.value, 'ran')}/${stageCount} stages\n${failed.join('\n')}`);
  }

  const inProcess = await timeRuns(RERUNS, () => runInProcess(file), (s) => assertNothingRan(count(s, 'ran'), count(s, 'cached'), stageCount, 'in-process'));
  const cli = await timeRuns(
    RERUNS,
    () => runTempaOk(['run', file, '--json'], dir),
    (r) => {
      const counts = countStatuses(r.stdout);
      assertNothingRan(counts.ran ?? 0, counts.cached ?? 0, stageCount, 'CLI');
    },
  );
  const help = await timeRuns(RERUNS, () => runTempaOk(['--help'], dir));
  const bareNode = await timeRuns(RERUNS, () => runNode(['-e', '0'], dir));

  printTable(write, `1. No-op rerun: ${stageCount}-stage recipe (4 load-data, 4 split-data, 42 exec; fan-out 20, chain 16), every stage cached`, STATS_COLUMNS, [
    onceRow('first run, fills the cache (in-process)', fill.ms, `${stageCount} ran, concurrency 2 (not part of the rerun numbers)`),
    statsRow('rerun, in-process (resolveRecipe + runRecipe)', inProcess, `0 ran, ${stageCount} cached each time; modules already loaded`),
    statsRow('rerun, CLI: node bin/tempa.js run --json', cli, `0 ran, ${stageCount} cached each time; includes Node + tsx start-up`),
    statsRow('CLI floor: node bin/tempa.js --help', help, 'Node + tsx + CLI module graph, no recipe'),
    statsRow('Node floor: node -e 0', bareNode, 'Node start-up alone'),
  ]);
}
