// The files a no-op run's answer rests on, for its journal (noop-journal.ts): the recipe files, each
// stage's code, the datasets, the trust file, the lock, and each result in the store. Undefined when
// the answer also rests on what a listing or a module search finds, which no file's stat shows.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { moduleGraphFiles } from '../cache/code-hash.ts';
import type { RunRecord } from '../cache/store.ts';
import type { StageOutcome } from '../events.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';

/** Glob syntax needs one of these (engine/datasets.ts). */
const MAYBE_GLOB = /[*?[\]{}()!+@\\]/;

export async function noopFiles(recipe: ResolvedRecipe, outcomes: readonly StageOutcome[], extra: readonly string[]): Promise<string[] | undefined> {
  const files = [...recipe.watchFiles, ...extra];
  for (const spec of Object.values(recipe.datasets)) {
    for (const entry of spec.paths) {
      // npm: is found by searching node_modules folders, a glob or a folder by listing: a new file changes no stat we keep.
      if (entry.startsWith('npm:') || MAYBE_GLOB.test(entry)) return undefined;
      const file = path.resolve(spec.dir, entry);
      if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) return undefined;
      files.push(file);
    }
  }
  for (const stage of recipe.stages) {
    const isPath = !stage.plugin.source.startsWith('builtin:') && existsSync(stage.plugin.file) && !stage.plugin.file.includes(`${path.sep}node_modules${path.sep}`);
    if (!stage.plugin.source.startsWith('builtin:') && !isPath) return undefined; // a package: found by a module search
    files.push(...(await moduleGraphFiles(stage.plugin.file)));
  }
  for (const outcome of outcomes) {
    if (outcome.status === 'not-selected') continue;
    if (outcome.status !== 'cached' || !outcome.outDir) return undefined;
    const entryDir = path.dirname(outcome.outDir);
    const recordFile = path.join(entryDir, 'record.json');
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as RunRecord;
    files.push(recordFile);
    for (const output of Object.values(record.outputs)) {
      const base = path.join(outcome.outDir, output.path);
      for (const rel of Object.keys(output.sizes)) files.push(output.kind === 'file' ? base : path.join(base, rel));
    }
  }
  return files;
}
