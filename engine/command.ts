// Commands that plugins add to the CLI (`tempa chat`, `tempa generate`): the CLI gives each a recipe,
// a way to get a stage's outputs brought up to date, and the terminal; the command does the rest.
// Like stages, a command is a plain object the composition root hands to createCli, never registered by side effect.
import type { ResolvedRecipe } from './recipe/resolve.ts';

export interface CommandOption {
  /** Commander syntax: `--max-tokens <n>`, `--raw`. */
  flags: string;
  description: string;
  default?: string | number | boolean;
  /** Values are checked and converted before run() sees them. */
  type?: 'string' | 'number' | 'integer' | 'boolean';
  /** May be given several times; run() receives a list. */
  repeatable?: boolean;
  required?: boolean;
}

/** The terminal a command talks to. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface CommandContext extends CommandIo {
  recipe: ResolvedRecipe;
  /** Absolute path of each output of `stage`, after running what it needs (progress goes to stderr). */
  stageOutputs(stage: string): Promise<Record<string, string>>;
  /** Stages whose plugin declares an output of this name, for hints. */
  stagesWithOutput(output: string): string[];
  /** The recipe's runtime options, with the runtime flags (`--backend`) applied. */
  runtime: Record<string, unknown>;
  signal: AbortSignal;
}

export interface CommandPlugin {
  name: string;
  description: string;
  options: readonly CommandOption[];
  /** Returns the exit code; throws PipelineError for bad usage or data. */
  run(ctx: CommandContext, options: Record<string, unknown>): Promise<number>;
  /**
   * Called first, before any recipe is looked for: an exit code ends the command there (a mode that needs
   * no recipe, such as `tempa label --agreement a.jsonl b.jsonl`); undefined goes on to run().
   */
  runWithoutRecipe?(io: CommandIo, options: Record<string, unknown>): Promise<number | undefined>;
}

export const defineCommand = (command: CommandPlugin): CommandPlugin => command;
