// The body of `tempa sweep`: reads the grid from `--set` lists, checks every variant before running any,
// runs them into one store, and prints one table. Apart from main.ts so `--help` loads none of it.
import os from 'node:os';
import pLimit from 'p-limit';
import type { App } from '../app.ts';
import { errUsage } from '../errors.ts';
import { resolveRecipe } from '../recipe/resolve.ts';
import { columnNames, expandGrid, parseAxes, variantLabel, type Variant } from '../sweep/grid.ts';
import { inProcessRunner, runSweep, type VariantResult } from '../sweep/run-sweep.ts';
import { processRunner } from '../sweep/variant-process.ts';
import type { VariantJob } from '../sweep/variant-wire.ts';
import { failureOf, sweepJson, sweepTable } from '../sweep/sweep-report.ts';
import { checkAxesMatter, checkAxisPaths, resolveVariants, VariantInvalid } from '../sweep/variants.ts';
import { createLineReporter } from '../ui-lines.ts';
import { formatError } from './format-error.ts';
import { interruptOnSignal } from './interrupt.ts';
import { loadToRun } from './load-to-run.ts';
import { EXIT, storeDirOf } from './shared.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

export interface SweepFlags {
  /** `--set path=v1,v2` (swept) and `--set path=v` (fixed), runtime flags included as `runtime.<name>=<value>`. */
  set?: string[];
  jobs?: number;
  dryRun?: boolean;
  store?: string;
  json?: boolean;
  trust?: boolean;
  remote?: string;
  remoteEndpoint?: string;
  /** Set in the process the sweep starts for one variant: that variant's job, as JSON. */
  variantWorker?: string;
}

export async function sweepCommand(app: App, recipeFile: string, flags: SweepFlags): Promise<number> {
  if (flags.variantWorker) return (await import('./sweep-worker.ts')).runVariantWorker(app, recipeFile, JSON.parse(flags.variantWorker) as VariantJob);
  const axes = parseAxes(flags.set ?? []);
  const swept = axes.filter((a) => a.values.length > 1);
  if (swept.length === 0) {
    throw errUsage('tempa sweep needs at least one --set with two or more values', 'e.g. --set stages.train.with.lr=1e-3,3e-3 (a value with a comma of its own is quoted or bracketed: "a,b", [a, b])');
  }
  await checkAxisPaths(recipeFile, axes);
  const variants = expandGrid(axes);
  const columns = columnNames(swept.map((a) => a.path));
  const label = (v: Variant) => variantLabel(v, columns);

  // Every variant is resolved (and its code trusted) before any runs: a typo in the grid costs no work.
  // A dry run executes nothing, so it inspects without importing code plugins or asking for trust.
  const resolve = (sets: string[]) => (flags.dryRun ? resolveRecipe(recipeFile, app, { sets, importCode: false }) : loadToRun(app, recipeFile, sets, flags.trust));
  let recipes;
  try {
    recipes = await resolveVariants(variants, label, resolve);
  } catch (error) {
    if (!(error instanceof VariantInvalid)) throw error;
    err(`tempa sweep: ${error.message}:\n\n${formatError(error.cause)}`);
    return EXIT.usage;
  }
  checkAxesMatter(axes, variants, recipes);

  const interrupt = interruptOnSignal(() => true, '\ninterrupted: stopping running stages (press Ctrl-C again to force)\n');
  const jobs = flags.jobs ?? Math.min(variants.length, os.availableParallelism());
  const width = String(variants.length).length;
  if (!flags.json) err(`sweep of ${variants.length} variants, ${jobs} at a time${flags.dryRun ? ' (dry run)' : ''}`);
  const options = {
    jobs,
    storeDir: storeDirOf(flags.store, recipeFile),
    signal: interrupt.signal,
    dryRun: flags.dryRun,
    remote: flags.remote,
    remoteEndpoint: flags.remoteEndpoint,
  };
  // Progress goes to stderr, one prefixed line per event: concurrent variants interleave whole lines.
  const prefix = (v: Variant) => `[${String(v.index).padStart(width)}: ${label(v)}] `;
  const log = (index: number, line: string) => (flags.json ? undefined : err(`${prefix(variants[index - 1]!)}${line}`));
  const inProcess = { ...options, reporterFor: flags.json || flags.dryRun ? undefined : (v: Variant) => createLineReporter((line) => log(v.index, line)) };
  // A dry run only reads the store, and so does a variant whose every stage is cached: those run in this
  // process. A variant with work to do gets a process of its own (this program again), unless there is
  // no program file to start (the CLI embedded in another program).
  const script = process.argv[1];
  let results;
  if (flags.dryRun || !script) results = await runSweep(recipes, variants, inProcess);
  else {
    const planned = await runSweep(recipes, variants, { ...options, dryRun: true });
    const cached = new Set(planned.filter((r) => r.ok && r.outcomes.every((o) => o.status === 'cached')).map((r) => r.variant.index));
    // One at a time: they only read, and at once they would queue on each other's key locks.
    const one = pLimit(1);
    const here = inProcessRunner(inProcess);
    // Each variant's native pool would otherwise start a thread per core: -j N would run N x cores threads.
    // Products are bit-identical for any thread count, so sharing the cores changes only the speed.
    const threads = process.env.TEMPA_THREADS ? undefined : Math.max(1, Math.floor(os.availableParallelism() / jobs));
    const apart = processRunner({ ...options, command: [process.execPath, ...process.execArgv, script], log, threads });
    results = await runSweep(recipes, variants, options, (recipe, variant, lockFile) => (cached.has(variant.index) ? one(() => here(recipe, variant, lockFile)) : apart(recipe, variant, lockFile)));
  }

  if (flags.json) out(JSON.stringify(sweepJson(results, axes, flags.dryRun), null, 2));
  else {
    if (flags.dryRun) for (const line of dryRunLines(results, label)) out(line);
    for (const line of sweepTable(results, axes, flags.dryRun)) out(line);
  }
  if (interrupt.signal.aborted) return EXIT.interrupted;
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.stageFailed;
}

/** Per variant: the stages it would run, and those it would reuse from the store or from an earlier variant. */
function dryRunLines(results: readonly VariantResult[], label: (v: Variant) => string): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const plan = Object.entries(r.plan ?? {});
    const names = (planned: string) => plan.filter(([, p]) => p.planned === planned).map(([name, p]) => (p.sharedWith ? `${name} (from variant ${p.sharedWith})` : name));
    lines.push(`variant ${r.variant.index}: ${label(r.variant)}`);
    if (!r.ok) lines.push(`  cannot run: ${failureOf(r)!.reason}`);
    for (const [what, list] of [['would run', names('run')], ['cached', names('cached')], ['shared', names('shared')]] as const) if (list.length) lines.push(`  ${what}: ${list.join(', ')}`);
  }
  return [...lines, ''];
}
