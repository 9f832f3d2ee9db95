// A stage result in a bucket: every file as a blob named by its sha256, then the result object
// (record plus log) named by the cache key, written last: a reader that finds it finds every blob.
// Downloads land in the local store's temp folder and are committed only once every byte checked out.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { canonicalJson, sha256 } from '../cache/canonical.ts';
import type { FileHasher } from '../cache/hash-files.ts';
import { stageKey } from '../cache/key.ts';
import type { OutputRecord, RunRecord, Store } from '../cache/store.ts';
import { DamagedObject, type S3Objects } from './s3-objects.ts';

const FORMAT = 'tempa-remote-result/1';

interface RemoteResult {
  format: typeof FORMAT;
  record: RunRecord;
  log?: { sha256: string; size: number };
}

export const blobName = (hash: string) => `blobs/${hash.slice(0, 2)}/${hash}`;
export const resultName = (key: string) => `results/${key.slice(0, 2)}/${key}.json`;

/** What `publishResult` did, for `tempa push` to report. */
export interface Published {
  uploaded: number;
  present: number;
  /** false: a result for the key was there already, and it stands. */
  wroteResult: boolean;
}

/** Each file of an output, as (path in the store, sha256, size). */
function filesOf(output: OutputRecord, outDir: string): Array<{ file: string; hash: string; size: number }> {
  const base = path.join(outDir, output.path);
  return Object.entries(output.files).map(([rel, hash]) => ({ file: output.kind === 'file' ? base : path.join(base, rel), hash, size: output.sizes[rel]! }));
}

/**
 * Uploads `record`'s files the bucket lacks (or that a download found damaged), then its result
 * object unless one is there. The same key gives the same blob names; a second publisher of a key
 * leaves the first result in place, and either result is complete on its own.
 */
export async function publishResult(objects: S3Objects, store: Store, record: RunRecord, hasher: FileHasher, damaged: Set<string>): Promise<Published> {
  const files = Object.values(record.outputs).flatMap((o) => filesOf(o, store.outDir(record.key)));
  const log = await readFile(store.logFile(record.key)).catch(() => undefined);
  let uploaded = 0;
  const limit = pLimit(8);
  await Promise.all(
    files.map(({ file, hash, size }) =>
      limit(async () => {
        if (!damaged.has(hash) && (await objects.exists(blobName(hash)))) return;
        // A local file edited behind the store's back must not be published under its old address.
        if ((await hasher.hashFile(file)) !== hash) throw new Error(`${file} no longer matches its recorded hash; run \`tempa status --verify\``);
        await objects.putFile(blobName(hash), file, size);
        damaged.delete(hash);
        uploaded++;
      }),
    ),
  );
  const logRef = log && log.length ? { sha256: sha256(log), size: log.length } : undefined;
  if (logRef && !(await objects.exists(blobName(logRef.sha256)))) await objects.putBytes(blobName(logRef.sha256), log!, 'text/plain');
  const present = files.length - uploaded;
  if (!damaged.has(record.key) && (await objects.exists(resultName(record.key)))) return { uploaded, present, wroteResult: false };
  const result: RemoteResult = logRef ? { format: FORMAT, record, log: logRef } : { format: FORMAT, record };
  await objects.putBytes(resultName(record.key), Buffer.from(`${canonicalJson(result)}\n`), 'application/json');
  damaged.delete(record.key);
  return { uploaded, present, wroteResult: true };
}

/** The remote's result for `key`, checked against the key itself; undefined when the bucket has none. */
async function fetchResult(objects: S3Objects, key: string): Promise<RemoteResult | undefined> {
  const bytes = await objects.getBytes(resultName(key));
  if (!bytes) return undefined;
  let result: RemoteResult;
  try {
    result = JSON.parse(bytes.toString('utf8')) as RemoteResult;
  } catch {
    throw new DamagedObject(`${resultName(key)} is not JSON`);
  }
  const record = result?.record;
  // The key is the hash of the manifest, so a manifest that does not hash to it was altered.
  if (result.format !== FORMAT || record?.key !== key || typeof record.outputs !== 'object' || stageKey(record.manifest) !== key) {
    throw new DamagedObject(`${resultName(key)} does not describe the result of key ${key.slice(0, 12)}`);
  }
  for (const output of Object.values(record.outputs)) {
    const listing = Object.keys(output.files).sort().map((rel) => `${output.files[rel]}  ${rel}`).join('\n');
    if (sha256(listing) !== output.hash || Object.keys(output.sizes).length !== Object.keys(output.files).length) throw new DamagedObject(`${resultName(key)}: output ${output.path} does not match its own hash`);
  }
  return result;
}

/**
 * Downloads the result of `key` into `store` and commits it; undefined when the bucket has none.
 * Each blob that does not hash to its address is fetched once more; still wrong, DamagedObject
 * (named in `damaged`, so the next publish replaces it) and nothing is committed.
 */
export async function downloadResult(objects: S3Objects, store: Store, key: string, damaged: Set<string>): Promise<RunRecord | undefined> {
  const result = await onceMore(() => fetchResult(objects, key), () => damaged.add(key));
  if (!result) return undefined;
  const pending = await store.begin(key);
  try {
    const files = Object.values(result.record.outputs).flatMap((o) => filesOf(o, pending.outDir));
    if (result.log) files.push({ file: pending.logFile, hash: result.log.sha256, size: result.log.size });
    const limit = pLimit(8);
    await Promise.all(files.map(({ file, hash, size }) => limit(() => onceMore(() => objects.download(blobName(hash), file, hash, size), () => damaged.add(hash)))));
    for (const { file, size } of files) if ((await stat(file)).size !== size) throw new DamagedObject(`${file} changed while downloading`);
    // A result this store got meanwhile (another run on this machine) stands, and is what the run uses.
    return await store.commit(pending, result.record);
  } catch (error) {
    await store.discard(pending);
    // Whoever recomputes it replaces the result too: a stage that is not bit-reproducible gives other blobs.
    if (error instanceof DamagedObject) damaged.add(key);
    throw error;
  }
}

/** Runs `fetch` again when what came back was damaged (a torn transfer deserves a second try); damaged twice, `onDamaged` and throw. */
async function onceMore<T>(fetch: () => Promise<T>, onDamaged: () => void): Promise<T> {
  try {
    return await fetch();
  } catch (error) {
    if (!(error instanceof DamagedObject)) throw error;
    try {
      return await fetch();
    } catch (again) {
      if (again instanceof DamagedObject) onDamaged();
      throw again;
    }
  }
}
