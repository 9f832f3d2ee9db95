// Section 2: the cost of turning a 1,000-stage recipe into a plan: resolveRecipe (parse, validate,
// plugin schemas, bindings, topo sort), the pure graph functions alone, and the CLI on top.
import { ancestorsOf, selectStages, topoOrder } from '../engine/plan.ts';
import { composeRecipe } from '../engine/recipe/compose.ts';
import { resolveRecipe } from '../engine/recipe/resolve.ts';
import { runRecipe } from '../engine/run.ts';
import { TEMPA } from '../stages/builtin.ts';
import { runTempa, runTempaOk } from './cli.ts';
import { writeDagRecipe } from './recipes.ts';
import { onceRow, printTable, STATS_COLUMNS, statsRow, timeOnce, timeRuns } from './timing.ts';

const STAGES = 1000;
const RESOLVE_RUNS = 5;
const GRAPH_RUNS = 20;

export async function benchDagResolve(dir: string, write: (line: string) => void): Promise<void> {
  const { file, edges } = await writeDagRecipe(dir, STAGES);
  const firstResolve = await timeOnce(() => resolveRecipe(file, TEMPA));
  const recipe = firstResolve.value;
  if (recipe.stages.length !== STAGES) throw new Error(`resolved ${recipe.stages.length} stages, expected ${STAGES}`);
  const resolve = await timeRuns(RESOLVE_RUNS, () => resolveRecipe(file, TEMPA));
  const compose = await timeRuns(RESOLVE_RUNS, () => composeRecipe(file));
  let wouldRunInProcess = 0;
  const dryRunInProcess = await timeRuns(RESOLVE_RUNS, () => runRecipe(recipe, { dryRun: true }), (s) => {
    wouldRunInProcess = s.outcomes.filter((o) => o.status === 'would-run').length;
  });

  const nodes = recipe.stages.map((s) => ({ name: s.name, needs: s.needs }));
  const resolvedEdges = nodes.reduce((n, s) => n + s.needs.length, 0);
  const topo = await timeRuns(GRAPH_RUNS, () => topoOrder(nodes), (r) => {
    if (!r.ok) throw new Error('generated DAG has a cycle');
  });
  const selectAll = await timeRuns(GRAPH_RUNS, () => selectStages(nodes, {}));
  // --to the late stage with the deepest ancestry, --from a stage halfway up it, so the range is not empty.
  const ancestries = nodes.slice(-50).map((n) => ({ name: n.name, up: ancestorsOf(nodes, [n.name]) }));
  const deepest = ancestries.reduce((a, b) => (b.up.size > a.up.size ? b : a));
  const last = deepest.name;
  const ancestry = nodes.filter((n) => deepest.up.has(n.name));
  const middle = ancestry[Math.floor(ancestry.length / 2)]!.name;
  let between = 0;
  const selectRange = await timeRuns(GRAPH_RUNS, () => selectStages(nodes, { from: [middle], to: [last] }), (s) => (between = s.size));

  const validate = await runTempaOk(['validate', file], dir);
  const dryRun = await runTempa(['run', file, '--dry-run'], dir);
  if (dryRun.code !== 0) throw new Error(`tempa run --dry-run exited ${dryRun.code}\n${dryRun.stderr.slice(-2000)}`);
  const wouldRun = dryRun.stdout.split('\n').filter((l) => l.startsWith('○')).length;

  printTable(write, `2. DAG resolution: ${STAGES} exec stages, ${edges} seeded random edges to earlier stages (${resolvedEdges} after bindings)`, STATS_COLUMNS, [
    onceRow('resolveRecipe, first call in this process', firstResolve.ms, 'includes importing the exec plugin and compiling its schema'),
    statsRow('resolveRecipe (parse+validate+schemas+topo)', resolve, 'warm: plugin and validators cached'),
    statsRow('  of which composeRecipe (read + YAML parse)', compose, 'the YAML document with source positions'),
    statsRow('runRecipe dryRun (in-process, empty store)', dryRunInProcess, `${wouldRunInProcess} would run; keys only for root stages`),
    statsRow('topoOrder (plan.ts)', topo),
    statsRow('selectStages, no selection', selectAll),
    statsRow(`selectStages --from ${middle} --to ${last}`, selectRange, `${between} stages selected`),
    onceRow('CLI: tempa validate', validate.ms, validate.stdout.trim()),
    onceRow('CLI: tempa run --dry-run', dryRun.ms, `${wouldRun} stages listed as would run; empty store`),
  ]);
}
