// `tempa run --watch`: reruns what became stale when the recipe, a dataset or a local plugin
// changes. Debounced; an edit that breaks the recipe shows the error and keeps watching.
// The only importer of chokidar.
import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';
import { clearCodeHashes } from './cache/code-hash.ts';
import { listDataset } from './datasets.ts';
import { clearPluginCache } from './registry.ts';
import type { ResolvedRecipe } from './recipe/resolve.ts';

export interface WatchHooks {
  /** Resolves the recipe again (throws on a bad edit). */
  resolve(): Promise<ResolvedRecipe>;
  /** One run; must stop promptly when `signal` aborts. */
  run(recipe: ResolvedRecipe, signal: AbortSignal): Promise<unknown>;
  report(message: string): void;
  reportError(error: unknown): void;
  debounceMs?: number;
}

async function targetsOf(recipe: ResolvedRecipe): Promise<string[]> {
  const targets = new Set(recipe.watchFiles);
  for (const spec of Object.values(recipe.datasets)) {
    const listed = await listDataset(spec.paths, spec.dir, recipe.appRoot, spec).catch(() => undefined);
    if (listed?.kind === 'files') targets.add(listed.root);
    else for (const f of listed?.files ?? []) targets.add(f);
    if (listed?.kind === 'dir') targets.add(listed.root);
  }
  return [...targets];
}

/** Resolves when `signal` aborts (Ctrl-C). */
export async function watchRecipe(recipeFile: string, hooks: WatchHooks, signal: AbortSignal): Promise<void> {
  const watcher: FSWatcher = watch([], {
    ignoreInitial: true,
    ignored: (p: string) => p.includes(`${path.sep}.tempa`) || /\.lock(\.writing)?$|\.tmp$/.test(p) || p.includes(`${path.sep}node_modules${path.sep}`),
    awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
  });
  let watched = new Set<string>([recipeFile]);
  watcher.add(recipeFile);
  let current: { controller: AbortController; done: Promise<unknown> } | undefined;
  let timer: NodeJS.Timeout | undefined;

  const cycle = async () => {
    if (current) {
      current.controller.abort();
      await current.done;
    }
    clearPluginCache();
    clearCodeHashes();
    let recipe: ResolvedRecipe;
    try {
      recipe = await hooks.resolve();
    } catch (error) {
      hooks.reportError(error);
      hooks.report('watching for changes (fix the recipe to continue)');
      return;
    }
    const next = new Set([recipeFile, ...(await targetsOf(recipe))]);
    watcher.unwatch([...watched].filter((t) => !next.has(t)));
    watcher.add([...next].filter((t) => !watched.has(t)));
    watched = next;
    const controller = new AbortController();
    const done = hooks.run(recipe, controller.signal).catch(hooks.reportError);
    current = { controller, done };
    await done;
    if (current?.controller === controller) {
      current = undefined;
      if (!signal.aborted) hooks.report('watching for changes');
    }
  };

  const schedule = (changed: string) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      hooks.report(`change detected: ${path.relative(process.cwd(), changed) || changed}`);
      void cycle();
    }, hooks.debounceMs ?? 300);
  };
  watcher.on('all', (_event, changed) => schedule(changed));

  await new Promise<void>((resolve) => {
    void watcher.once('ready', () => void cycle());
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (timer) clearTimeout(timer);
  current?.controller.abort();
  await current?.done;
  await watcher.close();
}
