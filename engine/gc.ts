// `tempa gc`: drops cached results that no registered lock file references, plus leftovers of
// crashed runs (orphaned checkpoints and logs). Mark-and-sweep from the lock files (DVC gc).
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
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
 * Checkpoints of interrupted runs are resumable work, so they go only when asked (`checkpoints`);
 * logs of results that are gone always go.
 */
export async function collectGarbage(store: Store, dryRun: boolean, checkpoints = false): Promise<GcResult> {
  await store.sweep();
  const lockFiles = (await readRegisteredLockFiles(store)).filter((f) => existsSync(f));
  const referenced = new Set<string>();
  for (const file of lockFiles) for (const entry of Object.values((await readLock(file))?.stages ?? {})) referenced.add(entry.key);
  const removed: string[] = [];
  const kept: string[] = [];
  let bytes = 0;
  for (const key of await store.listKeys()) {
    if (referenced.has(key)) {
      kept.push(key);
      continue;
    }
    removed.push(key);
    bytes += await sizeOf(store.entryDir(key));
    if (!dryRun) await store.remove(key);
  }
  for (const dir of checkpoints ? ['checkpoints', 'logs'] : ['logs']) {
    for (const name of await readdir(path.join(store.root, dir)).catch(() => [] as string[])) {
      const key = name.replace(/\.log$/, '');
      if (referenced.has(key)) continue;
      bytes += await sizeOf(path.join(store.root, dir, name));
      if (!dryRun) await rm(path.join(store.root, dir, name), { recursive: true, force: true });
    }
  }
  return { kept, removed, bytes, lockFiles };
}
