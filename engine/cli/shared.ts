// Option parsing shared by the CLI commands: the recipe path default, the store folder, runtime
// flags, repeatable lists, exit codes.
import { Option } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../app.ts';
import { errUsage } from '../errors.ts';
import { defaultStoreDir } from '../cache/store-dir.ts';

export const EXIT = { ok: 0, stageFailed: 1, usage: 2, interrupted: 130 } as const;

/** The recipe named on the command line, or the first of `defaults` that exists. */
export function recipePath(given: string | undefined, defaults: readonly string[]): string {
  if (given) return path.resolve(given);
  const found = defaults.find((f) => existsSync(f));
  if (!found) throw errUsage('no recipe given and none found', `pass one (tempa run path/to/recipe.yaml)${defaults.length ? ` or create ${defaults[0]}` : ''}`);
  return path.resolve(found);
}

export const recipeArgumentHelp = (defaults: readonly string[]): string =>
  defaults.length ? `recipe file (default: ${defaults.join(' or ')})` : 'recipe file';

/** `--store <dir>`, or the default store beside the recipe. */
export const storeDirOf = (given: string | undefined, recipeFile: string): string =>
  given ? path.resolve(given) : defaultStoreDir(path.dirname(recipeFile));

/** One commander option per runtime flag the application declares (`--backend`). */
export const runtimeFlagOptions = (app: App): Option[] =>
  (app.runtime?.flags ?? []).map((flag) => {
    const option = new Option(`--${flag.name} <${flag.name}>`, flag.description);
    return flag.choices ? option.choices(flag.choices) : option;
  });

/** The runtime flags given, as the `--set runtime.<name>=<value>` overrides they stand for. */
export const runtimeSets = (app: App, flags: Record<string, unknown>): string[] =>
  (app.runtime?.flags ?? []).filter((f) => flags[f.name] !== undefined).map((f) => `runtime.${f.name}=${String(flags[f.name])}`);

/** Commander collector for repeatable options that also accept comma lists: --only a,b --only c. */
export const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

export const collectRaw = (value: string, previous: string[] = []): string[] => [...previous, value];

export function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw errUsage(`--jobs expects a positive integer, got \`${value}\``);
  return n;
}
