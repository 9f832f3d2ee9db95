// What code a resolved recipe would run on this machine: code plugins (a path or a package in `uses:`)
// and the commands and modules that built-in stages declare in their `with:` (exec, exec/module rewards).
// Each item has a content hash, so trusting it once covers exactly that code and nothing edited later.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { DeclaredCodeTable } from '../app.ts';
import { canonicalJson, sha256 } from '../cache/canonical.ts';
import { hashModuleGraph } from '../cache/code-hash.ts';
import type { SourceLocation } from '../errors.ts';
import { displayPath } from '../recipe/parse.ts';
import type { ResolvedRecipe, ResolvedStage } from '../recipe/resolve.ts';

export interface CodeItem {
  kind: 'command' | 'plugin' | 'module';
  stage: string;
  /** What a person reads: the command line, or the file (with the plugin's package name and version). */
  what: string;
  /** sha256 of the command (with its cwd and env) or of the module and the local modules it imports. */
  hash: string;
  location?: SourceLocation;
  field: string;
  /** Written by the user on the command line (`--set`) or in a recipe shipped with the application. */
  implicit: boolean;
}

export interface CodeItemOptions {
  declared?: DeclaredCodeTable;
  /** A folder of recipes that ship with the application: code they name is trusted like its built-in stages. */
  shippedRecipes?: string;
}

export async function listCodeItems(recipe: ResolvedRecipe, options: CodeItemOptions = {}): Promise<CodeItem[]> {
  const shipped = options.shippedRecipes && existsSync(options.shippedRecipes) ? realpathSync(options.shippedRecipes) : undefined;
  const items: CodeItem[] = [];
  for (const stage of recipe.stages) {
    // The location is found only when asked for (listing an untrusted item): finding it parses the
    // recipe's YAML for positions, which would double the cost of a no-op rerun of a trusted recipe.
    const item = (fields: Omit<CodeItem, 'stage' | 'location' | 'field' | 'implicit'>, field: readonly (string | number)[]): CodeItem => {
      const implicit = recipe.sources.setBy(field) !== undefined || (shipped !== undefined && isInside(realpathSync(recipe.sources.fileOf(field).file), shipped));
      let location: SourceLocation | undefined | null = null;
      return Object.defineProperty({ ...fields, stage: stage.name, field: field.join('.'), implicit }, 'location', {
        enumerable: true,
        get: () => (location === null ? (location = recipe.sources.locate(field)) : location),
      }) as CodeItem;
    };
    if (!stage.plugin.source.startsWith('builtin:')) {
      const shown = stage.plugin.source.startsWith('.') || path.isAbsolute(stage.plugin.source) ? displayPath(stage.plugin.file) : `${stage.plugin.source} (${displayPath(stage.plugin.file)})`;
      items.push(item({ kind: 'plugin', what: shown, hash: stage.plugin.codeHash }, ['stages', stage.name, 'uses']));
      continue;
    }
    for (const code of options.declared?.[stage.uses]?.(stage.params) ?? []) {
      const field = ['stages', stage.name, 'with', ...code.path];
      if ('command' in code) {
        // Where it runs and its environment are part of what it does (`cwd` picks the script, `env` can preload code).
        const { command, cwd = '.', env = {} } = code;
        items.push(item({ kind: 'command', what: describeCommand(command, cwd, env), hash: sha256(canonicalJson({ command, cwd, env })) }, field));
        continue;
      }
      const file = path.resolve(stage.dir, code.module);
      if (!existsSync(file)) continue; // nothing to run: the stage fails, naming the missing file
      items.push(item({ kind: 'module', what: displayPath(file), hash: await hashModuleGraph(file, stage.dir) }, field));
    }
  }
  return items;
}

const isInside = (file: string, dir: string) => file.startsWith(dir + path.sep);

function describeCommand(command: string | readonly string[], cwd: string, env: Readonly<Record<string, string>>): string {
  const line = typeof command === 'string' ? command : command.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const extra = [cwd !== '.' ? `in ${cwd}` : '', ...Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`)].filter(Boolean);
  return extra.length ? `${line} (${extra.join(', ')})` : line;
}

/** The stages whose plugin code was not imported (inspection), for `validate` to say what it did not check. */
export const deferredStages = (recipe: ResolvedRecipe): ResolvedStage[] => recipe.stages.filter((s) => s.plugin.deferred);
