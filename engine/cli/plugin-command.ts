// Attaches a plugin command (engine/command.ts) to the CLI: its own flags, checked and typed, plus the
// flags every recipe command has (recipe, --set, --store, the application's runtime flags).
import { Command, Option } from 'commander';
import type { App } from '../app.ts';
import type { CommandContext, CommandOption, CommandPlugin } from '../command.ts';
import { errUsage } from '../errors.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import { interruptOnSignal } from './interrupt.ts';
import { collectRaw, EXIT, recipeArgumentHelp, runtimeFlagOptions, runtimeSets, storeDirOf } from './shared.ts';

/** What the CLI shares with each plugin command. */
export interface PluginCommandSetup {
  app: App;
  /** Resolves the recipe for a command that may bring stages up to date: its code must be trusted first. */
  load(file: string | undefined, sets: string[], trust: boolean): Promise<ResolvedRecipe>;
  defaults: readonly string[];
  setOption(): Option;
  trustOption(): Option;
}

function parserFor(option: CommandOption): ((value: string, previous: unknown) => unknown) | undefined {
  if (option.repeatable) return collectRaw as (value: string, previous: unknown) => unknown;
  if (option.type !== 'number' && option.type !== 'integer') return undefined;
  const name = option.flags.split(/[ ,]/)[0];
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (option.type === 'integer' && !Number.isInteger(n))) {
      throw errUsage(`${name} expects ${option.type === 'integer' ? 'an integer' : 'a number'}, got \`${value}\``);
    }
    return n;
  };
}

export function addPluginCommand(program: Command, plugin: CommandPlugin, setup: PluginCommandSetup, done: (code: number) => void): void {
  const { app } = setup;
  const command = program.command(plugin.name).argument('[recipe]', recipeArgumentHelp(setup.defaults)).description(plugin.description);
  for (const o of plugin.options) {
    const option = new Option(o.flags, o.description);
    const parse = parserFor(o);
    if (parse) option.argParser(parse);
    if (o.default !== undefined) option.default(o.default);
    if (o.required) option.makeOptionMandatory();
    command.addOption(option);
  }
  command.addOption(setup.setOption()).option('--store <dir>', 'cache store folder (default: .tempa beside the recipe)').addOption(setup.trustOption());
  for (const option of runtimeFlagOptions(app)) command.addOption(option);
  command.action(async (file: string | undefined, flags: Record<string, unknown> & { set?: string[]; store?: string; trust?: boolean }) => {
    const { set = [], store, trust = false, ...rest } = flags;
    const runtimeNames = new Set((app.runtime?.flags ?? []).map((f) => f.name));
    const own = Object.fromEntries(Object.entries(rest).filter(([name]) => !runtimeNames.has(name)));
    const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
    const early = await plugin.runWithoutRecipe?.(io, own);
    if (early !== undefined) return done(early);
    const recipe = await setup.load(file, [...set, ...runtimeSets(app, rest)], trust);
    // Loaded here, not at the top: `tempa --help` builds every command but runs none.
    const [{ stageOutputs, stagesWithOutput }, { createLineReporter }] = await Promise.all([import('../artifacts.ts'), import('../ui-lines.ts')]);
    const storeDir = storeDirOf(store, recipe.file);
    // Stage start and end lines only: the command's own output is what the user came for.
    const progress = { ...createLineReporter((line) => process.stderr.write(`${line}\n`)), stageProgress() {}, stageLog() {} };
    // Ctrl-C while stages run stops them cleanly, as in `tempa run`; at any other time it quits.
    let running = 0;
    const interrupt = interruptOnSignal(() => running > 0);
    const bringUpToDate = async (stage: string) => {
      running += 1;
      try {
        return await stageOutputs(recipe, stage, { storeDir, reporter: progress, signal: interrupt.signal });
      } finally {
        running -= 1;
      }
    };
    const context: CommandContext = {
      recipe,
      stageOutputs: bringUpToDate,
      stagesWithOutput: (output) => stagesWithOutput(recipe, output),
      runtime: recipe.runtime,
      ...io,
      signal: interrupt.signal,
    };
    try {
      done(await plugin.run(context, own));
    } catch (error) {
      if (!interrupt.signal.aborted) throw error;
      process.stderr.write('interrupted\n');
      done(EXIT.interrupted);
    }
  });
}
