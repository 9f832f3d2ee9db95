// `<recipe>.lock`: per stage, the cache key, the manifest behind it and the output hashes. Commit
// it beside the recipe: another machine compares its own keys against it to see whether its run
// matches, and `status` diffs manifests against it to explain what changed.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './cache/atomic-write.ts';
import path from 'node:path';
import { withLock } from './cache/pid-lock.ts';
import { canonicalJson, sha256 } from './cache/canonical.ts';
import type { KeyManifest } from './cache/key.ts';
import { loadFast } from './recipe/fast-yaml.ts';
import { yaml } from './recipe/yaml-on-demand.ts';

export const LOCK_VERSION = 1;

export interface LockEntry {
  key: string;
  uses: string;
  manifest: KeyManifest;
  outputs: Record<string, string>;
  /** Each output's files and their hashes, so a mismatch names the file (`tempa verify`). */
  files?: Record<string, Record<string, string>>;
  /** How it was computed (a stage's `info`, such as the backend it ran on): for comparing runs, never keyed. */
  info?: Record<string, string>;
  /** Outputs that record the run that made them (times, cache status): their hashes are never compared. */
  recordsTheRun?: string[];
}

export interface LockFile {
  version: number;
  recipe: string;
  stages: Record<string, LockEntry>;
}

export const lockPathFor = (recipeFile: string): string => recipeFile.replace(/\.ya?ml$/, '') + '.lock';

/**
 * The lock's data, or undefined when there is none or it cannot be read. With `memoDir` the data is
 * also kept there as JSON under the sha256 of the lock's text, so reading an unchanged lock again costs
 * a JSON.parse instead of a YAML parse (about 10 ms for 50 stages): keyed by content, it cannot go stale.
 */
export async function readLock(file: string, memoDir?: string): Promise<LockFile | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const text = await readFile(file, 'utf8');
    const memo = memoDir ? path.join(memoDir, `${sha256(file).slice(0, 16)}.json`) : undefined;
    const digest = memo ? sha256(text) : '';
    const known = memo ? await readMemo(memo, digest) : undefined;
    if (known) return known;
    // js-yaml reads the lock about ten times faster and resolves scalars as `yaml` does; anything it
    // reads differently or refuses goes to `yaml`, so the data is the same either way.
    const data = (loadFast(text) ?? yaml().parse(text)) as LockFile;
    if (data?.version !== LOCK_VERSION || typeof data.stages !== 'object') return undefined;
    if (memo) await writeMemo(memo, digest, data).catch(() => undefined); // only saves the next parse
    return data;
  } catch {
    return undefined; // an unreadable lock only loses explanations; the cache is keyed independently
  }
}

interface LockMemo {
  digest: string;
  lock: LockFile;
}

async function readMemo(memo: string, digest: string): Promise<LockFile | undefined> {
  try {
    const known = JSON.parse(await readFile(memo, 'utf8')) as LockMemo;
    return known.digest === digest ? known.lock : undefined;
  } catch {
    return undefined; // none yet, or torn by a crash: parse the lock
  }
}

/** Kept only when JSON holds the data exactly: a YAML `.nan` or `.inf` would come back as null. */
async function writeMemo(memo: string, digest: string, lock: LockFile): Promise<void> {
  const exact = (_key: string, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('not JSON');
    return value;
  };
  const text = JSON.stringify({ digest, lock } satisfies LockMemo, exact);
  await mkdir(path.dirname(memo), { recursive: true });
  await writeFileAtomic(memo, text);
}

/**
 * `entry` with the hashes the lock already holds for its outputs that record the run (a report's times and
 * cache statuses), when the key is the same: those hashes are never compared, and a rerun that rewrote them
 * would leave every fresh clone's committed lock modified after its first run.
 */
export function keepRecordedRun(entry: LockEntry, previous: LockEntry | undefined): LockEntry {
  if (!entry.recordsTheRun?.length || previous?.key !== entry.key) return entry;
  const kept: LockEntry = { ...entry, outputs: { ...entry.outputs }, ...(entry.files ? { files: { ...entry.files } } : {}) };
  for (const name of entry.recordsTheRun) {
    const hash = previous.outputs[name];
    if (hash !== undefined) kept.outputs[name] = hash;
    const files = previous.files?.[name];
    if (files && kept.files) kept.files[name] = files;
  }
  return kept;
}

/**
 * Whether updateLock would write back `previous` as it is: same recipe, same stages in the same order,
 * each entry equal. A no-op rerun then skips reading, rewriting and renaming the lock.
 */
export function lockUnchanged(previous: LockFile | undefined, recipe: string, entries: Record<string, LockEntry>, stageOrder: readonly string[]): boolean {
  if (!previous || previous.recipe !== recipe) return false;
  const kept = stageOrder.filter((name) => entries[name] ?? previous.stages[name]);
  if (kept.join('\n') !== Object.keys(previous.stages).join('\n')) return false;
  // Through JSON, as the lock holds it: absent and undefined fields are the same.
  const plain = (entry: LockEntry | undefined) => canonicalJson(JSON.parse(JSON.stringify(entry ?? null)));
  return Object.entries(entries).every(([name, entry]) => plain(entry) === plain(previous.stages[name]));
}

/**
 * Merges this run's entries into the lock under an inter-process lock, dropping stages the recipe
 * no longer has. The file is written to a temp name and renamed, so readers never see half of it.
 */
export async function updateLock(file: string, recipe: string, entries: Record<string, LockEntry>, stageOrder: readonly string[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await withLock(`${file}.writing`, async () => {
    const previous = (await readLock(file))?.stages ?? {};
    const stages: Record<string, LockEntry> = {};
    for (const name of stageOrder) {
      const entry = entries[name] ?? previous[name];
      if (entry) stages[name] = entry;
    }
    const body: LockFile = { version: LOCK_VERSION, recipe, stages };
    const text = `# Written by \`tempa run\`: cache keys and content hashes of every stage. Commit it with the recipe.\n${yaml().stringify(body, { sortMapEntries: false, lineWidth: 0, aliasDuplicateObjects: false })}`;
    await writeFileAtomic(file, text);
  }, { purpose: `updating ${path.basename(file)}` });
}
