// Attaches a plugin command (engine/command.ts) to the CLI: its own flags, checked and typed, plus the
// flags every recipe command has (recipe, --set, --store, --backend).
import { Command, Option } from 'commander';
import path from 'node:path';
import { stageOutputs, stagesWithOutput } from '../artifacts.ts';
import type { CommandContext, CommandOption, CommandPlugin } from '../command.ts';
import { errUsage } from '../errors.ts';
import { resolveRecipe } from '../recipe/resolve.ts';
import { defaultStoreDir } from '../run.ts';
import { createLineReporter } from '../ui-lines.ts';
import { collectRaw, EXIT, recipePath } from './shared.ts';

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

export function addPluginCommand(program: Command, plugin: CommandPlugin, setOption: () => Option, backendOption: () => Option, done: (code: number) => void): void {
  const command = program.command(plugin.name).argument('[recipe]', 'recipe file (default: tempa.yaml or recipes/quickstart.yaml)').description(plugin.description);
  for (const o of plugin.options) {
    const option = new Option(o.flags, o.description);
    const parse = parserFor(o);
    if (parse) option.argParser(parse);
    if (o.default !== undefined) option.default(o.default);
    if (o.required) option.makeOptionMandatory();
    command.addOption(option);
  }
  command
    .addOption(setOption())
    .option('--store <dir>', 'cache store folder (default: .tempa beside the recipe)')
    .addOption(backendOption())
    .action(async (file: string | undefined, flags: Record<string, unknown> & { set?: string[]; store?: string; backend?: string }) => {
      const { set = [], store, backend, ...own } = flags;
      const recipe = await resolveRecipe(recipePath(file), { sets: backend ? [...set, `runtime.backend=${backend}`] : set });
      const storeDir = store ? path.resolve(store) : defaultStoreDir(recipe);
      // Stage start and end lines only: the command's own output is what the user came for.
      const progress = { ...createLineReporter((line) => process.stderr.write(`${line}\n`)), stageProgress() {}, stageLog() {} };
      // Ctrl-C while stages run stops them cleanly, as in `tempa run`; at any other time it quits.
      const interrupt = new AbortController();
      let running = 0;
      process.on('SIGINT', () => {
        if (running > 0 && !interrupt.signal.aborted) interrupt.abort();
        else process.exit(EXIT.interrupted);
      });
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
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
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
