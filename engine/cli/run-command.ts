// The bodies of `tempa run` and `tempa status`, apart from main.ts so that the command table (all
// `--help` needs) loads without the engine's run path.
import type { App } from '../app.ts';
import path from 'node:path';
import type { RunReporter, StageOutcome } from '../events.ts';
import type { ExecutorName } from '../executors/executor-settings.ts';
import { describeDifference } from '../lock-check.ts';
import { resolveRecipe, type ResolvedRecipe } from '../recipe/resolve.ts';
import { runRecipe, type RunOptions } from '../run.ts';
import { createLineReporter } from '../ui-lines.ts';
import { formatError } from './format-error.ts';
import { loadToRun } from './load-to-run.ts';
import type { JournalCommand } from './noop-journal.ts';
import { interruptOnSignal } from './interrupt.ts';
import { runSummary } from './run-summary.ts';
import { EXIT, storeDirOf } from './shared.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

export interface RunFlags {
  only?: string[];
  from?: string[];
  to?: string[];
  force?: boolean | string[];
  set?: string[];
  dryRun?: boolean;
  watch?: boolean;
  jobs?: number;
  store?: string;
  json?: boolean;
  relock?: boolean;
  trust?: boolean;
  remote?: string;
  remoteEndpoint?: string;
  executor?: ExecutorName;
}

function exitCodeFor(outcomes: readonly StageOutcome[]): number {
  if (outcomes.some((o) => o.error?.message.endsWith('interrupted'))) return EXIT.interrupted;
  return outcomes.some((o) => o.status === 'failed' || o.status === 'skipped') ? EXIT.stageFailed : EXIT.ok;
}

function printFailures(outcomes: readonly StageOutcome[]): void {
  for (const o of outcomes) if (o.error) err(`\n${formatError(o.error)}`);
}

/** `journal`: record this run for the next one to replay if every stage is found cached (noop-journal.ts). */
export async function runCommand(app: App, recipeFile: string, flags: RunFlags, journal?: JournalCommand): Promise<number> {
  const startedAt = Date.now();
  const interrupt = interruptOnSignal(() => true, '\ninterrupted: stopping running stages (press Ctrl-C again to force)\n');
  // listr2 and chokidar load only when used: they cost a noticeable part of start-up.
  const taskList = process.stdout.isTTY && !flags.json ? (await import('../ui.ts')).createTaskListReporter : undefined;
  // What a replay prints: this run's output, unless a stage logged anything (a wait, a warning) that a replay would repeat.
  const printed: string[] = [];
  let logged = false;
  const say = (line: string) => {
    printed.push(line);
    out(line);
  };
  const lineReporter = () => {
    const lines = createLineReporter(say);
    return { ...lines, stageLog: (...args: Parameters<RunReporter['stageLog']>) => ((logged = true), lines.stageLog(...args)) };
  };
  const options = (signal: AbortSignal): RunOptions => ({
    only: flags.only,
    from: flags.from,
    to: flags.to,
    force: flags.force,
    dryRun: flags.dryRun,
    relock: flags.relock,
    concurrency: flags.jobs,
    storeDir: storeDirOf(flags.store, recipeFile),
    remote: flags.remote,
    remoteEndpoint: flags.remoteEndpoint,
    executor: flags.executor,
    signal,
    reporter: flags.json ? undefined : taskList ? taskList() : lineReporter(),
  });
  if (flags.watch) {
    const { watchRecipe } = await import('../watch.ts');
    await watchRecipe(
      recipeFile,
      {
        resolve: () => loadToRun(app, recipeFile, flags.set ?? [], flags.trust),
        run: async (recipe, signal) => {
          const summary = await runRecipe(recipe, options(AbortSignal.any([signal, interrupt.signal])));
          for (const line of runSummary(recipe, summary.outcomes)) out(line);
          printFailures(summary.outcomes);
        },
        report: (m) => out(`[watch] ${m}`),
        reportError: (e) => err(formatError(e)),
      },
      interrupt.signal,
    );
    return EXIT.ok;
  }
  // A dry run executes nothing, so it inspects without importing code plugins or asking for trust.
  const recipe = flags.dryRun ? await resolveRecipe(recipeFile, app, { sets: flags.set, importCode: false }) : await loadToRun(app, recipeFile, flags.set ?? [], flags.trust);
  const summary = await runRecipe(recipe, options(interrupt.signal));
  if (flags.json) say(JSON.stringify({ ok: summary.ok, stages: summary.outcomes.map(({ error, ...o }) => ({ ...o, error: error?.message })) }, null, 2));
  else if (!flags.dryRun) for (const line of runSummary(recipe, summary.outcomes)) say(line);
  printFailures(summary.outcomes);
  if (journal && summary.ok && !logged && !summary.lockMismatches.length && !interrupt.signal.aborted) {
    const [{ noopFiles }, { recordNoop }, { trustFilePath }] = await Promise.all([import('./noop-files.ts'), import('./noop-journal.ts'), import('../trust/trust-file.ts')]);
    // A result gone since it was found (a gc, another run's --force) only means no journal this time.
    const files = await noopFiles(recipe, summary.outcomes, [summary.lockFile, path.join(journal.storeDir, 'lockfiles.json'), trustFilePath()]).catch(() => undefined);
    // groups/ lists the process groups of runs killed mid-stage, whose children a full run's sweep ends.
    if (files) await recordNoop(journal, files, printed.map((line) => `${line}\n`).join(''), startedAt, [path.join(journal.storeDir, 'groups')]);
  }
  return exitCodeFor(summary.outcomes);
}

export async function statusCommand(recipe: ResolvedRecipe, flags: { store?: string; json?: boolean; verify?: boolean }): Promise<number> {
  const summary = await runRecipe(recipe, { dryRun: true, verify: flags.verify, storeDir: storeDirOf(flags.store, recipe.file) });
  if (flags.json) {
    const lockDifference = (name: string) => summary.lockMismatches.find((d) => d.stage === name);
    out(JSON.stringify(summary.outcomes.map(({ name, status, key, reasons }) => ({ name, status: status === 'would-run' ? 'stale' : status, key, reasons, lockDifference: lockDifference(name) })), null, 2));
    return EXIT.ok;
  }
  const width = Math.max(...summary.outcomes.map((o) => o.name.length));
  const mismatch = new Map(summary.lockMismatches.map((d) => [d.stage, d]));
  for (const o of summary.outcomes) {
    const differs = mismatch.get(o.name);
    if (o.status === 'cached' && differs) out(`${o.name.padEnd(width)}  cached, but ${describeDifference(differs)}`);
    else if (o.status === 'cached') out(`${o.name.padEnd(width)}  cached`);
    else if (o.status === 'failed') out(`${o.name.padEnd(width)}  missing: ${o.error?.message}`);
    else out(`${o.name.padEnd(width)}  stale: ${o.reasons.join('; ')}`);
  }
  return EXIT.ok;
}
