// Option parsing shared by the CLI commands: the recipe path default, repeatable lists, exit codes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errUsage } from '../errors.ts';

export const EXIT = { ok: 0, stageFailed: 1, usage: 2, interrupted: 130 } as const;

export const DEFAULT_RECIPES = ['tempa.yaml', 'recipes/quickstart.yaml'];

export function recipePath(given: string | undefined): string {
  if (given) return path.resolve(given);
  const found = DEFAULT_RECIPES.find((f) => existsSync(f));
  if (!found) throw errUsage('no recipe given and none found', `pass one (tempa run path/to/recipe.yaml) or create ${DEFAULT_RECIPES[0]}`);
  return path.resolve(found);
}

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
