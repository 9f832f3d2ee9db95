// `tempa gc`: drops cached results that no registered lock file references, plus leftovers of
// crashed runs (orphaned checkpoints and logs). Mark-and-sweep from the lock files (DVC gc), plus the
// keys that live runs pinned: their results are not in a lock file until the run ends.
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readPins } from './cache/pins.ts';
import { readRegisteredLockFiles, type Store } from './cache/store.ts';
import { readLock } from './lockfile.ts';

export interface GcResult {
  kept: string[];
  removed: string[];
  bytes: number;
  lockFiles: string[];
}

async function sizeOf(target: string): Promise<number> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(target)) total += await sizeOf(path.join(target, entry));
  return total;
}

/**
 * Removes `target` of `key` under the key's lock, reading the pins again there: a run that pinned
 * the key after gc's first look is using it (runs pin, then look up or write, under that lock).
 */
async function removeUnlessPinned(store: Store, key: string, target: string): Promise<boolean> {
  return store.withKeyLock(key, { purpose: 'tempa gc' }, async () => {
    if ((await readPins(store.root)).has(key)) return false;
    await rm(target, { recursive: true, force: true });
    return true;
  });
}

/**
 * Checkpoints of interrupted runs are resumable work, so they go only when asked (`checkpoints`);
 * logs of results that are gone always go.
 */
export async function collectGarbage(store: Store, dryRun: boolean, checkpoints = false): Promise<GcResult> {
  await store.sweep();
  const lockFiles = (await readRegisteredLockFiles(store)).filter((f) => existsSync(f));
  const referenced = new Set<string>();
  for (const file of lockFiles) for (const entry of Object.values((await readLock(file))?.stages ?? {})) referenced.add(entry.key);
  for (const key of await readPins(store.root)) referenced.add(key);
  const removed: string[] = [];
  const kept: string[] = [];
  let bytes = 0;
  for (const key of await store.listKeys()) {
    if (referenced.has(key)) {
      kept.push(key);
      continue;
    }
    const size = await sizeOf(store.entryDir(key));
    if (!dryRun && !(await removeUnlessPinned(store, key, store.entryDir(key)))) {
      kept.push(key);
      continue;
    }
    removed.push(key);
    bytes += size;
  }
  for (const dir of checkpoints ? ['checkpoints', 'logs'] : ['logs']) {
    for (const name of await readdir(path.join(store.root, dir)).catch(() => [] as string[])) {
      const key = name.replace(/\.log$/, '');
      if (referenced.has(key)) continue;
      const size = await sizeOf(path.join(store.root, dir, name));
      if (dryRun || (await removeUnlessPinned(store, key, path.join(store.root, dir, name)))) bytes += size;
    }
  }
  return { kept, removed, bytes, lockFiles };
}
