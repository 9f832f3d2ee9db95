// The content-addressed store under `.tempa/`. A result is written into tmp/ and renamed into
// runs/<key[0:2]>/<key>/ only when complete, so a crash never leaves a result that counts as done;
// record.json inside it is the commit marker. Corrupt entries are warned about, deleted, recomputed.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { endLeftoverGroups } from '../child-guard.ts';
import { isAlive } from '../process-owner.ts';
import { withLock, type LockOptions } from './pid-lock.ts';
import type { FileHasher } from './hash-files.ts';
import type { KeyManifest } from './key.ts';
import type { InputArtifact } from '../stage.ts';
import { asIoError, ioStep } from '../errors.ts';
import { writeFileAtomic } from './atomic-write.ts';

export interface OutputRecord {
  kind: 'file' | 'dir';
  /** Relative to the entry's out/ folder. */
  path: string;
  hash: string;
  files: Record<string, string>;
  sizes: Record<string, number>;
}

export interface RunRecord {
  key: string;
  stage: string;
  plugin: { name: string; version: number; source: string };
  manifest: KeyManifest;
  outputs: Record<string, OutputRecord>;
  metrics: Record<string, number>;
  info: Record<string, string>;
  durationMs: number;
  createdAt: string;
}

export interface PendingRun {
  key: string;
  dir: string;
  outDir: string;
  logFile: string;
}

const TMP_OWNER = /^(?<key>[0-9a-f]{64})\.(?<pid>\d+)\.(?<host>[^.]+)\.[0-9a-z]+$/;

export class Store {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  entryDir(key: string): string {
    return path.join(this.root, 'runs', key.slice(0, 2), key);
  }
  outDir(key: string): string {
    return path.join(this.entryDir(key), 'out');
  }
  /** Absolute path of each output of a stored result. */
  outputPaths(record: RunRecord): Record<string, string> {
    return Object.fromEntries(Object.entries(record.outputs).map(([name, o]) => [name, path.join(this.outDir(record.key), o.path)]));
  }
  /** Output `output` of a stored result as a stage reads it: its root, every file, its hash, and where it came from. */
  inputArtifact(record: RunRecord, output: string, from: string): InputArtifact {
    const o = record.outputs[output]!;
    const root = path.join(this.outDir(record.key), o.path);
    const files = o.kind === 'file' ? [root] : Object.keys(o.files).sort().map((rel) => path.join(root, rel));
    return { kind: o.kind, path: root, files, hash: o.hash, from: { stage: from, output } };
  }
  logFile(key: string): string {
    return path.join(this.entryDir(key), 'stage.log');
  }
  checkpointDir(key: string): string {
    return path.join(this.root, 'checkpoints', key);
  }

  /**
   * The committed result for `key`, or why there is none. A hit needs the record *and* every
   * output file at its recorded size (metadata must never outlive its artifacts) and, when
   * `verify` is given, with its recorded content hash: memoised by (inode, size, mtime), that costs
   * a stat per file once a file has been checked or committed, and a full read otherwise. A corrupt
   * entry is deleted, unless `repair` is false (a look without the key's lock leaves that to one with it).
   */
  async lookup(key: string, warn: (message: string) => void, verify?: FileHasher, repair = true): Promise<{ record?: RunRecord; corrupt?: string }> {
    const dir = this.entryDir(key);
    if (!existsSync(dir)) return {};
    let record: RunRecord;
    try {
      record = JSON.parse(await readFile(path.join(dir, 'record.json'), 'utf8')) as RunRecord;
      if (record.key !== key || typeof record.outputs !== 'object') throw new Error('record does not match its key');
      for (const output of Object.values(record.outputs)) {
        const base = path.join(dir, 'out', output.path);
        for (const [rel, size] of Object.entries(output.sizes)) {
          const file = output.kind === 'file' ? base : path.join(base, rel);
          const info = await stat(file).catch(() => undefined);
          if (!info) throw new Error(`output file ${path.relative(dir, file)} is missing`);
          if (info.size !== size) throw new Error(`output file ${path.relative(dir, file)} has ${info.size} bytes, recorded ${size}`);
        }
        if (!verify) continue;
        for (const [rel, hash] of Object.entries(output.files)) {
          const file = output.kind === 'file' ? base : path.join(base, rel);
          if ((await verify.hashFile(file)) !== hash) throw new Error(`output file ${path.relative(dir, file)} does not match its recorded content hash`);
        }
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (!repair) return { corrupt: reason };
      warn(`cache entry ${key.slice(0, 12)} is corrupt (${reason}); deleting it and recomputing`);
      await rm(dir, { recursive: true, force: true });
      return { corrupt: reason };
    }
    return { record };
  }

  /**
   * The committed result for `key` found without taking its lock, or undefined: then look again under
   * the lock, which also repairs a corrupt entry. The caller must have pinned `key` on disk first. gc
   * deletes only while holding the key's lock, and reads the pins again once it holds it (gc.ts): a gc
   * that read them before our pin was written took the lock before that, so it still holds it when we
   * check below, or has finished and record.json is gone or another file. Checked in that order: the
   * other order would miss a gc that released the lock between the two checks.
   */
  async lookupUnlocked(key: string, verify?: FileHasher): Promise<RunRecord | undefined> {
    const recordFile = path.join(this.entryDir(key), 'record.json');
    const before = await stat(recordFile).catch(() => undefined);
    if (!before) return undefined;
    const { record } = await this.lookup(key, () => undefined, verify, false);
    if (!record || existsSync(this.lockFile(key))) return undefined;
    const after = await stat(recordFile).catch(() => undefined);
    return after && after.ino === before.ino && after.mtimeMs === before.mtimeMs ? record : undefined;
  }

  /** Where the process groups a run of `key` starts are recorded, for the next run to end leftovers. */
  groupDir(key: string): string {
    return path.join(this.root, 'groups', key);
  }

  /** Seeds the stat memo with a freshly committed result's hashes, so using it later costs no read. */
  async rememberOutputs(record: RunRecord, hasher: FileHasher): Promise<void> {
    for (const output of Object.values(record.outputs)) {
      const base = path.join(this.outDir(record.key), output.path);
      for (const [rel, hash] of Object.entries(output.files)) await hasher.remember(output.kind === 'file' ? base : path.join(base, rel), hash);
    }
  }

  async begin(key: string): Promise<PendingRun> {
    // A killed run's children may still write into this key's checkpoint folder: end them first.
    await endLeftoverGroups(this.groupDir(key));
    const dir = this.tmpDir(key);
    await ioStep('create folder', dir, () => mkdir(path.join(dir, 'out'), { recursive: true }));
    // The log lives outside tmp/ so it survives a failed run for the user to read.
    const logFile = path.join(this.root, 'logs', `${key}.log`);
    await ioStep('create log file', logFile, async () => {
      await mkdir(path.dirname(logFile), { recursive: true });
      await writeFile(logFile, '');
    });
    return { key, dir, outDir: path.join(dir, 'out'), logFile };
  }

  /** A folder under tmp/ named for its owner, so `sweep` removes it once that process is gone. */
  private tmpDir(key: string): string {
    return path.join(this.root, 'tmp', `${key}.${process.pid}.${os.hostname().replace(/\./g, '-')}.${Math.random().toString(36).slice(2, 8)}`);
  }

  /**
   * Atomically publishes a finished run and returns the record that stands. The renaming of the whole
   * folder is the commit point: a failure before it (a full disk) commits nothing. When the key already has
   * a result, another process published it first and theirs stands, unless `replace` (a forced rerun): then
   * the old result is moved aside before the new one is renamed in, so the entry is never half of each.
   * The caller must use the returned record: the lock and the hash memo describe what the store holds.
   */
  async commit(pending: PendingRun, record: RunRecord, replace = false): Promise<RunRecord> {
    const target = this.entryDir(pending.key);
    await ioStep('commit the result into', target, async () => {
      await protect(pending.outDir);
      await writeFile(path.join(pending.dir, 'record.json'), `${JSON.stringify(record, null, 2)}\n`);
      await rename(pending.logFile, path.join(pending.dir, 'stage.log'));
      await mkdir(path.dirname(target), { recursive: true });
    });
    let standing = record;
    try {
      await rename(pending.dir, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw asIoError(error, 'commit the result into', target);
      if (replace) {
        const aside = this.tmpDir(pending.key);
        await ioStep('move the replaced result out of', target, () => rename(target, aside));
        await ioStep('commit the result into', target, () => rename(pending.dir, target));
        await rm(aside, { recursive: true, force: true }).catch(() => undefined); // sweep retries it
      } else {
        await this.discard(pending);
        standing = await ioStep('read the result already in', target, async () => JSON.parse(await readFile(path.join(target, 'record.json'), 'utf8')) as RunRecord);
      }
    }
    await rm(this.checkpointDir(pending.key), { recursive: true, force: true }).catch(() => undefined); // gc removes it later
    return standing;
  }

  /** Never throws, so a failed stage's own error is what gets reported; `sweep` retries what is left. */
  async discard(pending: PendingRun): Promise<void> {
    await rm(pending.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Removes temp folders left by processes that no longer exist (crashes, kill -9). */
  async sweep(): Promise<number> {
    const groups = path.join(this.root, 'groups');
    for (const key of await readdir(groups).catch(() => [] as string[])) {
      await endLeftoverGroups(path.join(groups, key));
      await rmdir(path.join(groups, key)).catch(() => undefined); // not empty: a live run's groups
    }
    const tmp = path.join(this.root, 'tmp');
    const host = os.hostname().replace(/\./g, '-');
    let removed = 0;
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      const owner = TMP_OWNER.exec(name)?.groups;
      if (owner && owner.host === host && isAlive(Number(owner.pid))) continue;
      await rm(path.join(tmp, name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /**
   * Runs `fn` holding the lock for `key`, so two runs sharing a store compute a stage once:
   * the second waits, then finds the first one's result.
   */
  async withKeyLock<T>(key: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
    await ioStep('create folder', path.join(this.root, 'locks'), () => mkdir(path.join(this.root, 'locks'), { recursive: true }));
    return withLock(this.lockFile(key), fn, options);
  }

  private lockFile(key: string): string {
    return path.join(this.root, 'locks', `${key}.lock`);
  }

  async listKeys(): Promise<string[]> {
    const runs = path.join(this.root, 'runs');
    const keys: string[] = [];
    for (const prefix of await readdir(runs).catch(() => [] as string[])) {
      for (const key of await readdir(path.join(runs, prefix)).catch(() => [] as string[])) keys.push(key);
    }
    return keys.sort();
  }

  async remove(key: string): Promise<void> {
    await rm(this.entryDir(key), { recursive: true, force: true });
  }
}

/** Committed outputs are read-only, so a downstream stage cannot edit a cached artifact in place. */
async function protect(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) await chmod(path.join(entry.parentPath, entry.name), 0o444);
  }
}

/** Recipe lock files that used this store: `gc` keeps every result one of them references. */
export async function registerLockFile(store: Store, lockFile: string): Promise<void> {
  const index = path.join(store.root, 'lockfiles.json');
  // Written atomically and never shortened, so a lock file found in it without the lock stays there.
  if ((await readRegisteredLockFiles(store)).includes(lockFile)) return;
  await mkdir(store.root, { recursive: true });
  await withLock(`${index}.lock`, async () => {
    const known = await readRegisteredLockFiles(store);
    if (known.includes(lockFile)) return;
    await writeFileAtomic(index, JSON.stringify([...known, lockFile].sort(), null, 2));
  }, { purpose: 'registering a lock file for gc' });
}

export async function readRegisteredLockFiles(store: Store): Promise<string[]> {
  try {
    return JSON.parse(await readFile(path.join(store.root, 'lockfiles.json'), 'utf8')) as string[];
  } catch {
    return [];
  }
}
