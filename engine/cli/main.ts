// The `tempa` command line for an application built on the engine: the composition root (bin/)
// passes its stages, commands, runtime options and description. Exit codes: 0 ok, 1 a stage
// failed, 2 bad usage or an invalid recipe, 130 interrupted.
import { Command, CommanderError, Option } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../app.ts';
import type { CommandPlugin } from '../command.ts';
import { PipelineError, RecipeErrors } from '../errors.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import type { DagFormat } from './dag.ts';
import { addPluginCommand } from './plugin-command.ts';
import type { RunFlags } from './run-command.ts';
import type { SweepFlags } from './sweep-command.ts';
import { collect, collectRaw, EXIT, parseJobs, recipeArgumentHelp, recipePath, runtimeFlagOptions, runtimeSets, storeDirOf } from './shared.ts';

// Each command imports what it needs when it runs: `--help` and a typo cost only this file, commander
// and the command table. (Built-in stages load without their run() code: bin/stage-views.mjs.)

export interface CliApp extends App {
  /** The program description in `--help`. */
  description: string;
  /** Commands beside run, status, show...: each gets a recipe, `--set`, `--store` and the runtime flags. */
  commands?: readonly CommandPlugin[];
  /** Recipe files tried in order when none is named. */
  defaultRecipes?: readonly string[];
  /**
   * Names the exact build running (its sources, its dependencies), for a no-op `run` to be answered from
   * the last one's journal. Absent where the running code may differ from any build: no journal is used.
   */
  buildId?: string;
}

export interface Cli {
  /** Parses `argv` (without node and the script) and runs the command; resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

export function createCli(app: CliApp): Cli {
  return { run: (argv) => main(app, argv) };
}

async function main(app: CliApp, argv: readonly string[]): Promise<number> {
  const program = new Command('tempa')
    .description(app.description)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  let code: number = EXIT.ok;
  const defaults = app.defaultRecipes ?? [];
  const recipeFile = (file: string | undefined) => recipePath(file, defaults);
  // Inspecting (status, dag, show, validate) never imports a code plugin: the recipe may come from anyone.
  const load = async (file: string | undefined, sets: string[] = []): Promise<ResolvedRecipe> => (await import('../recipe/resolve.ts')).resolveRecipe(recipeFile(file), app, { sets, importCode: false });
  const loadToRun = async (file: string | undefined, sets: string[], trust = false) => (await import('./load-to-run.ts')).loadToRun(app, recipeFile(file), sets, trust);
  const trustOption = () => new Option('--trust', "run the recipe's commands and code plugins without asking (this run only; `tempa trust` records them)");
  const setOption = () => new Option('--set <path=value>', 'override a recipe value (repeatable)').argParser(collectRaw);
  const remoteOptions = () => [
    new Option('--remote <url>', "shared cache s3://bucket/prefix (default: the recipe's `remote:`); credentials from the standard AWS chain"),
    new Option('--remote-endpoint <url>', 'S3-compatible server of the remote (MinIO, R2): http(s)://host:port'),
  ];

  const run = program
    .command('run')
    .argument('[recipe]', recipeArgumentHelp(defaults))
    .description('run the stages whose inputs changed')
    .option('--only <stages>', 'run only these stages (repeatable, comma list)', collect)
    .option('--from <stages>', 'run these stages and everything downstream', collect)
    .option('--to <stages>', 'run these stages and everything upstream', collect)
    .option('--force [stages]', 'rerun even if cached: all selected stages, or these')
    .addOption(setOption())
    .option('--dry-run', 'print what would run and why, run nothing')
    .option('--watch', 'rerun what became stale when the recipe, a dataset or a local plugin changes')
    .option('-j, --jobs <n>', 'stages run at once (default: the recipe concurrency)', parseJobs)
    .option('--store <dir>', 'cache store folder (default: .tempa beside the recipe)')
    .option('--json', 'print a JSON summary instead of progress')
    .option('--relock', 'write this run\'s output hashes into the lock even where they differ from it for the same key')
    .addOption(new Option('--executor <name>', "where stages that name none run (default: the recipe's `executor:`, else local); slurm needs a remote").choices(['local', 'slurm']))
    .addOption(trustOption());
  for (const option of [...remoteOptions(), ...runtimeFlagOptions(app)]) run.addOption(option);
  run.action(async (file: string | undefined, flags: RunFlags & { force?: boolean | string }) => {
    const force = typeof flags.force === 'string' ? collect(flags.force) : flags.force;
    const recipe = recipeFile(file);
    const runFlags = { ...flags, force, set: [...(flags.set ?? []), ...runtimeSets(app, flags as Record<string, unknown>)] };
    // Nothing changed since a run of this command found every stage cached: print what it printed (noop-journal.ts).
    const journalModule = app.buildId ? await import('./noop-journal.ts') : undefined;
    const journal = journalModule?.journalCommand(app.buildId, recipe, storeDirOf(flags.store, recipe), runFlags);
    const replayed = journal && journalModule!.replayNoop(journal);
    if (replayed !== undefined) return void process.stdout.write(replayed);
    code = await (await import('./run-command.ts')).runCommand(app, recipe, runFlags, journal);
  });

  const sweep = program
    .command('sweep')
    .argument('[recipe]', recipeArgumentHelp(defaults))
    .description('run every combination of --set value lists as a variant of the recipe, sharing the stages they have in common, and print one table')
    .addOption(new Option('--set <path=values>', 'a comma list sweeps the path, one value fixes it (repeatable); a value with its own comma is quoted or bracketed: "a,b", [a, b]').argParser(collectRaw))
    .option('-j, --jobs <n>', 'variants run at once (default: the CPU count, at most the number of variants)', parseJobs)
    .option('--dry-run', 'list the variants and the stages each would run or reuse, run nothing')
    .option('--store <dir>', 'cache store folder (default: .tempa beside the recipe)')
    .option('--json', 'print the variants, their stages and metrics as JSON instead of a table')
    .addOption(trustOption())
    .addOption(new Option('--variant-worker <job>').hideHelp());
  for (const option of [...remoteOptions(), ...runtimeFlagOptions(app)]) sweep.addOption(option);
  sweep.action(async (file: string | undefined, flags: SweepFlags & Record<string, unknown>) => {
    code = await (await import('./sweep-command.ts')).sweepCommand(app, recipeFile(file), { ...flags, set: [...(flags.set ?? []), ...runtimeSets(app, flags)] });
  });

  program
    .command('status')
    .argument('[recipe]')
    .description('show each stage as cached or stale, and why')
    .addOption(setOption())
    .option('--store <dir>')
    .option('--json')
    .option('--verify', "re-read every cached result and check its content hash (a damaged one is deleted and shown stale)")
    .action(async (file: string | undefined, flags: { set?: string[]; store?: string; json?: boolean; verify?: boolean }) => {
      code = await (await import('./run-command.ts')).statusCommand(await load(file, flags.set), flags);
    });

  const verify = program
    .command('verify')
    .argument('[recipe]', recipeArgumentHelp(defaults))
    .description('rerun every stage in a scratch store and compare keys and output hashes with the lock (exit 1 on a difference)')
    .option('--no-run', 'rehash the results already in the store instead of recomputing them')
    .addOption(setOption())
    .option('--store <dir>', 'the store --no-run reads (default: .tempa beside the recipe)')
    .addOption(trustOption());
  for (const option of runtimeFlagOptions(app)) verify.addOption(option);
  verify.action(async (file: string | undefined, flags: { run: boolean; set?: string[]; store?: string; trust?: boolean } & Record<string, unknown>) => {
    const sets = [...(flags.set ?? []), ...runtimeSets(app, flags)];
    const recipe = flags.run ? await loadToRun(file, sets, flags.trust) : await load(file, sets);
    const [{ verifyRecipe }, { interruptOnSignal }, { createLineReporter }] = await Promise.all([import('./verify.ts'), import('./interrupt.ts'), import('../ui-lines.ts')]);
    const interrupt = interruptOnSignal(() => true, '\ninterrupted\n');
    code = await verifyRecipe(recipe, {
      noRun: !flags.run,
      storeDir: storeDirOf(flags.store, recipe.file),
      signal: interrupt.signal,
      reporter: createLineReporter(err),
      out,
    });
  });

  program
    .command('dag')
    .argument('[recipe]')
    .description('print the stage graph')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'mermaid', 'dot']).default('text'))
    .addOption(setOption())
    .action(async (file: string | undefined, flags: { format: DagFormat; set?: string[] }) => {
      const recipe = await load(file, flags.set);
      out((await import('./dag.ts')).renderDag(recipe, flags.format));
    });

  program
    .command('validate')
    .argument('[recipe]')
    .description('check a recipe and its plugins without running anything')
    .addOption(setOption())
    .action(async (file: string | undefined, flags: { set?: string[] }) => {
      const recipe = await load(file, flags.set);
      await (await import('../run.ts')).checkDatasets(recipe);
      out(`${path.relative(process.cwd(), recipe.file) || recipe.file}: ok (${recipe.stages.length} stages)`);
      const deferred = (await import('../trust/code-items.ts')).deferredStages(recipe);
      if (deferred.length) {
        out(`not checked: the \`with:\` of ${deferred.map((s) => `\`${s.name}\` (${s.uses})`).join(', ')}, and the outputs they declare; code plugins are checked when they run, since inspecting never runs their code`);
      }
    });

  program
    .command('trust')
    .argument('[recipe]', recipeArgumentHelp(defaults))
    .description("trust the recipe's commands and code plugins on this machine, as they are now (a changed one asks again)")
    .addOption(setOption())
    .action(async (file: string | undefined, flags: { set?: string[] }) => {
      const recipe = await load(file, flags.set);
      const [{ listItems, untrustedItems }, { addTrust, trustFilePath }] = await Promise.all([import('../trust/ensure-trusted.ts'), import('../trust/trust-file.ts')]);
      const trustFile = trustFilePath();
      const items = await untrustedItems(recipe, { trustFile, declared: app.declaredCode, shippedRecipes: app.shippedRecipes });
      const shown = path.relative(process.cwd(), recipe.file) || recipe.file;
      if (items.length === 0) {
        out(`${shown}: nothing to trust (its commands and code plugins are trusted already, or it names none)`);
        return;
      }
      await addTrust(trustFile, recipe.file, items);
      out(`${listItems(items)}\ntrusted ${items.length} item${items.length === 1 ? '' : 's'} of ${shown} (recorded in ${trustFile})`);
    });

  program
    .command('show')
    .argument('[recipe]')
    .argument('[stage]')
    .description("print the resolved recipe, or a stage's artifacts, metrics and log")
    .option('--resolved', 'print the fully resolved recipe (extends, --set, ${} applied; defaults filled)')
    .addOption(setOption())
    .option('--store <dir>')
    .action(async (given: string | undefined, named: string | undefined, flags: { resolved?: boolean; set?: string[]; store?: string }) => {
      // `tempa show STAGE` means the default recipe's stage when STAGE is not a recipe file.
      const stageOnly = given !== undefined && named === undefined && !existsSync(given) && !/\.ya?ml$/.test(given);
      const [file, stage] = stageOnly ? [undefined, given] : [given, named];
      const recipe = await load(file, flags.set);
      if (!stage || flags.resolved) {
        const data = structuredClone(recipe.data);
        for (const s of recipe.stages) ((data.stages as Record<string, Record<string, unknown>>)[s.name]!).with = s.params as never;
        out((await import('yaml')).stringify(data, { lineWidth: 0 }).trimEnd());
        return;
      }
      const [{ showStage }, { Store }] = await Promise.all([import('./show.ts'), import('../cache/store.ts')]);
      out(await showStage(recipe, stage, new Store(storeDirOf(flags.store, recipe.file))));
    });

  for (const [name, description] of [
    ['push', "upload the recipe's current results from the local store to the shared cache"],
    ['pull', "download the recipe's current results the local store lacks from the shared cache (runs nothing)"],
  ] as const) {
    const command = program.command(name).argument('[recipe]', recipeArgumentHelp(defaults)).description(description).addOption(setOption()).option('--store <dir>');
    for (const option of remoteOptions()) command.addOption(option);
    command.action(async (file: string | undefined, flags: { set?: string[]; store?: string; remote?: string; remoteEndpoint?: string }) => {
      const recipe = await load(file, flags.set);
      const commands = await import('./remote-command.ts');
      code = await (name === 'push' ? commands.pushCommand : commands.pullCommand)(recipe, flags);
    });
  }

  // What a cluster job runs on its node (engine/executors/slurm-stage.ts writes the call): not for people.
  program
    .command('stage-job', { hidden: true })
    .description('run one stage described on stdin, its inputs and result moved through the shared cache')
    .requiredOption('--store <dir>', "the node's own store")
    .option('--scratch', 'delete the store when the job ends')
    .action(async (flags: { store: string; scratch?: boolean }) => {
      code = await (await import('./stage-job-command.ts')).stageJobCommand(app, flags);
    });

  program
    .command('gc')
    .argument('[recipe]', 'any recipe of the project; its store is cleaned')
    .description('delete cached results that no lock file references')
    .option('--dry-run', 'list what would be deleted')
    .option('--checkpoints', 'also delete checkpoints that interrupted runs would resume from')
    .option('--store <dir>')
    .action(async (file: string | undefined, flags: { dryRun?: boolean; checkpoints?: boolean; store?: string }) => {
      const [{ collectGarbage }, { Store }] = await Promise.all([import('../gc.ts'), import('../cache/store.ts')]);
      const result = await collectGarbage(new Store(storeDirOf(flags.store, recipeFile(file))), flags.dryRun ?? false, flags.checkpoints ?? false);
      const verb = flags.dryRun ? 'would remove' : 'removed';
      for (const key of result.removed) out(`${verb} ${key}`);
      out(`${verb} ${result.removed.length} results (${(result.bytes / 1024 / 1024).toFixed(1)} MiB), kept ${result.kept.length} referenced by ${result.lockFiles.length} lock file(s)`);
    });

  for (const plugin of app.commands ?? []) addPluginCommand(program, plugin, { app, load: loadToRun, defaults, setOption, trustOption }, (c) => (code = c));

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    err((await import('./format-error.ts')).formatError(error));
    if (error instanceof RecipeErrors) return EXIT.usage;
    if (error instanceof PipelineError) return error.code === 'STAGE_FAILED' || error.code === 'ARTIFACT_MISSING' || error.code === 'IO_FAILED' ? EXIT.stageFailed : EXIT.usage;
    return EXIT.stageFailed;
  }
}

