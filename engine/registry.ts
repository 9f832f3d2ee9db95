// Finds the plugin behind a recipe's `uses:`: a built-in name, a path to a module, or an npm
// package. No directory scanning and no registration by side effect (Vitest reporters map).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { App } from './app.ts';
import { sha256 } from './cache/canonical.ts';
import { hashModuleGraph } from './cache/code-hash.ts';
import { errStageLoad, errStageUnknown, type SourceLocation } from './errors.ts';
import { isStage, type AnyStage } from './stage.ts';

export interface LoadedPlugin {
  /** A stand-in when `deferred`: its schema accepts anything, it declares no inputs or outputs, and it cannot run. */
  stage: AnyStage;
  /** Where it came from: `builtin:exec`, `./plugins/x.ts`, `some-package@1.2.0`. */
  source: string;
  /** Module file, for watch mode and code hashing. */
  file: string;
  codeHash: string;
  /** True for a code plugin that was not imported (inspecting a recipe never runs its code). */
  deferred?: boolean;
}

export interface LoadOptions {
  location?: SourceLocation;
  field?: string;
  /** false: hash a code plugin (a path or a package) without importing it. Built-in stages are always imported. */
  importCode?: boolean;
}

/** The part of the application that plugin loading needs. */
export type Builtins = Pick<App, 'root' | 'stages' | 'importModule'>;

export const builtinNames = (app: Builtins): string[] => Object.keys(app.stages).sort();

const isPathSpec = (spec: string) => spec.startsWith('./') || spec.startsWith('../') || path.isAbsolute(spec);

const cache = new Map<string, Promise<LoadedPlugin>>();

/** `fromDir` is the folder of the recipe file that wrote `uses:`. */
export async function loadPlugin(spec: string, fromDir: string, app: Builtins, at: LoadOptions = {}): Promise<LoadedPlugin> {
  // A local plugin may be edited while this process lives (watch mode, library use): its cache
  // entry is keyed by its current code hash, so an edit imports it afresh. A built-in is keyed by
  // its module and the root its code is hashed from, so two applications never share a name.
  const builtin = Object.hasOwn(app.stages, spec) ? app.stages[spec] : undefined;
  const file = !builtin && isPathSpec(spec) ? path.resolve(fromDir, spec) : undefined;
  const code = file && existsSync(file) ? await hashModuleGraph(file, fromDir) : '';
  const importCode = builtin !== undefined || at.importCode !== false;
  const id = `${builtin ? `builtin\u0000${builtin.href}\u0000${app.root}` : file ? `${file}\u0000${code}` : `${spec}\u0000${fromDir}`}\u0000${importCode}`;
  let loaded = cache.get(id);
  if (!loaded) {
    loaded = importCode ? resolveAndImport(spec, fromDir, app, at) : describeCodePlugin(spec, fromDir, app, at);
    cache.set(id, loaded);
    loaded.catch(() => cache.delete(id));
  }
  return loaded;
}

/** Watch mode: forget loaded local plugins so an edited file is imported again. */
export function clearPluginCache(): void {
  cache.clear();
}

async function resolveAndImport(spec: string, fromDir: string, app: Builtins, at: LoadOptions): Promise<LoadedPlugin> {
  if (Object.hasOwn(app.stages, spec)) {
    const file = fileURLToPath(app.stages[spec]!);
    const stage = await importStage(app, pathToFileURL(file).href, spec, at);
    return { stage, source: `builtin:${spec}`, file, codeHash: await hashModuleGraph(file, app.root, true) };
  }
  if (isPathSpec(spec)) {
    const file = path.resolve(fromDir, spec);
    if (!existsSync(file)) throw errStageLoad(spec, new Error(`no such file ${file}`), at);
    const codeHash = await hashModuleGraph(file, fromDir);
    // The hash as a query string defeats the ESM loader cache exactly when the code changed.
    const stage = await importStage(app, `${pathToFileURL(file).href}?code=${codeHash.slice(0, 16)}`, spec, at);
    return { stage, source: spec, file, codeHash };
  }
  const found = await findPackage(spec, fromDir, app, at);
  return { ...found, stage: await importStage(app, pathToFileURL(found.file).href, spec, at) };
}

/** A code plugin as inspection sees it: where it is and its code hash, never its code's behaviour. */
async function describeCodePlugin(spec: string, fromDir: string, app: Builtins, at: LoadOptions): Promise<LoadedPlugin> {
  let found: Omit<LoadedPlugin, 'stage'>;
  if (isPathSpec(spec)) {
    const file = path.resolve(fromDir, spec);
    if (!existsSync(file)) throw errStageLoad(spec, new Error(`no such file ${file}`), at);
    found = { source: spec, file, codeHash: await hashModuleGraph(file, fromDir) };
  } else found = await findPackage(spec, fromDir, app, at);
  return { ...found, stage: standIn(spec), deferred: true };
}

/** An npm package plugin: resolved from the recipe's folder, keyed by name@version and its code. */
async function findPackage(spec: string, fromDir: string, app: Builtins, at: LoadOptions): Promise<Omit<LoadedPlugin, 'stage'>> {
  let file: string;
  try {
    file = createRequire(path.join(fromDir, 'recipe.js')).resolve(spec);
  } catch {
    throw errStageUnknown(spec, builtinNames(app), at);
  }
  const version = await packageVersion(file, spec);
  return { source: `${spec}@${version}`, file, codeHash: sha256(`${spec}@${version}\n${await hashModuleGraph(file, path.dirname(file), true)}`) };
}

/** What resolution needs of a plugin it did not import: nothing declared, and a run() that refuses. */
function standIn(spec: string): AnyStage {
  return {
    name: spec,
    version: 0,
    description: `code plugin ${spec} (not loaded: inspecting a recipe never runs its code)`,
    schema: {},
    outputs: () => ({}),
    run: () => Promise.reject(new Error(`${spec} was not loaded: resolve the recipe with importCode to run it`)),
  } as unknown as AnyStage;
}

async function importStage(app: Builtins, url: string, spec: string, at: LoadOptions): Promise<AnyStage> {
  let mod: { default?: unknown };
  try {
    mod = (await (app.importModule ? app.importModule(url) : import(url))) as { default?: unknown };
  } catch (error) {
    throw errStageLoad(spec, error, at);
  }
  if (!isStage(mod.default)) {
    throw errStageLoad(spec, new Error('its default export is not a stage (needs name, version, schema, outputs and run)'), at);
  }
  return mod.default;
}

async function packageVersion(file: string, spec: string): Promise<string> {
  let dir = path.dirname(file);
  while (dir !== path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(await readFile(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name && spec.startsWith(pkg.name)) return pkg.version ?? '0.0.0';
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}
