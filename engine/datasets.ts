// Turns a recipe's dataset declaration (files, folders, globs, npm:<package>/<path>) into the
// sorted list of files it names. Listing only; hashing happens in cache/hash-files.ts.
import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactKind } from './stage.ts';

export interface DatasetFiles {
  kind: ArtifactKind;
  root: string;
  files: string[];
}

export class DatasetError extends Error {
  hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.hint = hint;
  }
}

/** Finds `<pkg>/<sub>` in node_modules above `fromDir` (then above the application), without package exports. */
export function resolveNpmPath(spec: string, fromDir: string, fallbackDir: string): string {
  const parts = spec.split('/');
  const nameLength = spec.startsWith('@') ? 2 : 1;
  const pkg = parts.slice(0, nameLength).join('/');
  const sub = parts.slice(nameLength).join('/');
  for (const start of [fromDir, fallbackDir]) {
    let dir = path.resolve(start);
    for (;;) {
      const candidate = path.join(dir, 'node_modules', pkg);
      if (existsSync(path.join(candidate, 'package.json'))) return path.join(candidate, sub);
      if (dir === path.dirname(dir)) break;
      dir = path.dirname(dir);
    }
  }
  throw new DatasetError(`npm package \`${pkg}\` is not installed`, `add it to package.json and run \`npm install\``);
}

/** No glob syntax can be written without one of these: a plain path never loads the glob library. */
const MAYBE_GLOB = /[*?[\]{}()!+@\\]/;

async function expandOne(entry: string, baseDir: string, appRoot: string): Promise<{ files: string[]; kind: ArtifactKind; root: string }> {
  if (entry.startsWith('npm:')) return expandOne(resolveNpmPath(entry.slice(4), baseDir, appRoot), baseDir, appRoot);
  if (MAYBE_GLOB.test(entry)) {
    const { glob, isDynamicPattern } = await import('tinyglobby');
    if (isDynamicPattern(entry)) return { files: await glob(entry, { cwd: baseDir, absolute: true, onlyFiles: true, dot: false }), kind: 'files', root: baseDir };
  }
  const full = path.resolve(baseDir, entry);
  const info = await stat(full).catch(() => undefined);
  if (!info) throw new DatasetError(`\`${entry}\` does not exist`, `paths are relative to the recipe's folder (${baseDir})`);
  if (info.isDirectory()) {
    const files = await (await import('tinyglobby')).glob('**/*', { cwd: full, absolute: true, onlyFiles: true, dot: false });
    return { files, kind: 'dir', root: full };
  }
  return { files: [full], kind: 'file', root: full };
}

/**
 * A shared recipe must not read whatever it likes on this machine: each file of a dataset (after
 * symlinks) must lie inside the recipe's folder unless the dataset says `external: true`. npm: paths
 * name installed packages and are exempt.
 */
async function checkInside(entry: string, files: readonly string[], baseDir: string): Promise<void> {
  const root = await realpath(baseDir);
  for (const file of files) {
    const real = await realpath(file);
    if (real === root || real.startsWith(root + path.sep)) continue;
    const how = path.relative(baseDir, file).startsWith('..') || path.isAbsolute(entry) ? '' : ` (through a symlink, to ${real})`;
    throw new DatasetError(
      `\`${entry}\` is outside the recipe's folder${how}`,
      `a recipe reads only files beside it unless the dataset is declared external: \`{ path: ${entry}, external: true }\``,
    );
  }
}

export interface ListOptions {
  /** The dataset says `external: true`: its files may lie outside `baseDir`. */
  external?: boolean;
}

export async function listDataset(entries: readonly string[], baseDir: string, appRoot: string, options: ListOptions = {}): Promise<DatasetFiles> {
  const parts = await Promise.all(
    entries.map(async (e) => {
      const part = await expandOne(e, baseDir, appRoot);
      if (!options.external && !e.startsWith('npm:')) await checkInside(e, part.files, baseDir);
      return part;
    }),
  );
  const files = [...new Set(parts.flatMap((p) => p.files).map((f) => path.normalize(f)))].sort();
  if (files.length === 0) throw new DatasetError(`matches no files`, `check the path or glob; it is relative to ${baseDir}`);
  if (parts.length === 1) return { kind: parts[0]!.kind, root: parts[0]!.root, files };
  return { kind: 'files', root: commonDir(files), files };
}

/** The deepest folder holding every file; the root when they share nothing else. */
export function commonDir(files: readonly string[]): string {
  let dir = path.dirname(files[0]!);
  const inside = (f: string) => f.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
  while (!files.every(inside) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return dir;
}
