// Executes a resolved recipe: for each selected stage in dependency order, compute its key,
// reuse the cached result or run it (bounded concurrency), then record keys in the lock file.
// Also answers `status` and `--dry-run`, which are the same walk without executing anything.
import path from 'node:path';
import pLimit from 'p-limit';
import { canonicalJson } from './cache/canonical.ts';
import { FileHasher } from './cache/hash-files.ts';
import { KEY_SCHEMA, stageKey, type InputManifest, type KeyManifest } from './cache/key.ts';
import { RunPins } from './cache/pins.ts';
import { defaultStoreDir } from './cache/store-dir.ts';
import { registerLockFile, Store, type RunRecord } from './cache/store.ts';
import { DatasetError, listDataset } from './datasets.ts';
import { errInterrupted, errRecipeInvalid, errStageFailed, errUnknownStageFlag, errUpstreamNotCached, PipelineError, RecipeErrors } from './errors.ts';
import { silentReporter, type RunReporter, type StageOutcome } from './events.ts';
import { explainStale } from './explain.ts';
import { compareWithLock, describeDifference, type LockDifference } from './lock-check.ts';
import { keepRecordedRun, lockPathFor, lockUnchanged, readLock, updateLock, type LockEntry } from './lockfile.ts';
import { ancestorsOf, selectStages, type Selection } from './plan.ts';
import { RemoteCache } from './remote/remote-cache.ts';
import { remoteSpecOf } from './remote/remote-spec.ts';
import type { ExecutorName } from './executors/slurm-settings.ts';
import type { ResolvedRecipe, ResolvedStage } from './recipe/resolve.ts';
import type { InputArtifact, UpstreamStage } from './stage.ts';

export interface RunOptions extends Selection {
  /** true: every selected stage; a list: those stages. */
  force?: boolean | readonly string[];
  /** Compute keys and reasons, execute nothing (`--dry-run`, `tempa status`). */
  dryRun?: boolean;
  /** Re-read every cached result to check its content hash, trusting no (inode, size, mtime) memo. */
  verify?: boolean;
  concurrency?: number;
  storeDir?: string;
  signal?: AbortSignal;
  reporter?: RunReporter;
  /** false: leave the lock file alone (`tempa verify` reruns in a scratch store). Default true. */
  writeLock?: boolean;
  /** Write this run's hashes even where the lock has other output hashes for the same key (`--relock`). */
  relock?: boolean;
  /** The shared cache to read misses from and publish to (`--remote s3://bucket/prefix`); default: the recipe's `remote:`; false: none. */
  remote?: string | false;
  /** The S3-compatible server of that cache (`--remote-endpoint`). */
  remoteEndpoint?: string;
  /** Execute nothing, but download every missing result the remote has (`tempa pull`). */
  fetchOnly?: boolean;
  /** Where stages that name no executor run (`--executor`); default: the recipe's `executor:`. */
  executor?: ExecutorName;
}

export interface RunSummary {
  ok: boolean;
  outcomes: StageOutcome[];
  lockFile: string;
  /** Lock entries of every stage with a result (cached or run), dry runs included. */
  entries: Record<string, LockEntry>;
  /** Stages whose result has the lock's key but other output hashes: reported, and kept out of the lock. */
  lockMismatches: LockDifference[];
}

interface Settled {
  outcome: StageOutcome;
  record?: RunRecord;
}

export { defaultStoreDir };

export async function runRecipe(recipe: ResolvedRecipe, options: RunOptions = {}): Promise<RunSummary> {
  const reporter = options.reporter ?? silentReporter;
  const signal = options.signal ?? new AbortController().signal;
  const store = new Store(options.storeDir ?? defaultStoreDir(recipe.dir));
  const hasher = new FileHasher(path.join(store.root, 'hash-memo.json'));
  await hasher.load();
  const verifier = options.verify ? new FileHasher() : hasher;
  if (!options.dryRun) await store.sweep();
  const lockFile = lockPathFor(recipe.file);
  const previousLock = await readLock(lockFile, path.join(store.root, 'lock-memo'));
  const previous = previousLock?.stages ?? {};

  checkStageFlags(recipe, options);
  const selected = selectStages(recipe.stages, options);
  const needed = ancestorsOf(recipe.stages, selected);
  const forced = (name: string) => options.force === true || (Array.isArray(options.force) && options.force.includes(name));
  const datasets = await hashDatasets(recipe, recipe.stages.filter((s) => needed.has(s.name)), hasher);

  const pins = options.dryRun ? undefined : new RunPins(store.root);
  // The keys the lock names are the ones a rerun most likely uses: pinned together, in one write, before any look-up.
  pins?.add(...Object.values(previous).map((entry) => entry.key)).catch(() => undefined); // a failed write fails the stages that wait for it
  const remoteSpec = options.remote === false ? undefined : remoteSpecOf(recipe.remote, { remote: options.remote, remoteEndpoint: options.remoteEndpoint });
  const remote = remoteSpec && !options.dryRun ? new RemoteCache(remoteSpec) : undefined;
  // The cluster code loads only when some stage may run on one.
  const onCluster = !options.dryRun && (options.executor === 'slurm' || recipe.executor === 'slurm' || recipe.stages.some((s) => s.executor === 'slurm'));
  const executors = onCluster ? await import('./executors/executor-settings.ts') : undefined;
  executors?.checkExecutors(recipe, recipe.stages.filter((s) => selected.has(s.name)), options.executor, remoteSpec !== undefined);
  const limit = pLimit(options.concurrency ?? recipe.concurrency);
  const settled = new Map<string, Promise<Settled>>();
  let stopReason: string | undefined;
  reporter.start(recipe.stages.filter((s) => needed.has(s.name)).map((s) => s.name));

  const settle = async (stage: ResolvedStage): Promise<Settled> => {
    const outcome = (status: StageOutcome['status'], reasons: string[], extra: Partial<StageOutcome> = {}): Settled => ({ outcome: { name: stage.name, status, reasons, ...extra } });
    if (!needed.has(stage.name)) return outcome('not-selected', []);
    const upstream = await Promise.all(stage.needs.map((n) => settled.get(n)!));
    const blocked = upstream.find((u) => !u.record);
    if (blocked) {
      const { name, status } = blocked.outcome;
      if (status === 'would-run' || status === 'stale') return outcome(options.dryRun ? 'would-run' : 'stale', [`upstream ${name} will rerun`]);
      return outcome('skipped', [`upstream ${name} ${status === 'failed' ? 'failed' : 'did not run'}`]);
    }
    const records = new Map(upstream.map((u) => [u.outcome.name, u.record!]));
    const { inputs, manifestInputs } = bindInputs(stage, records, datasets, store);
    // A code plugin is keyed by where it came from and its code hash, which inspection knows without importing it.
    const builtin = stage.plugin.source.startsWith('builtin:');
    const manifest: KeyManifest = {
      schema: KEY_SCHEMA,
      plugin: builtin ? { name: stage.plugin.stage.name, version: stage.plugin.stage.version, code: stage.plugin.codeHash } : { name: stage.plugin.source, version: 0, code: stage.plugin.codeHash },
      params: JSON.parse(canonicalJson(stage.keyParams)) as unknown,
      inputs: manifestInputs,
      seed: stage.seed,
    };
    const key = stageKey(manifest);
    const warn = (m: string) => reporter.stageLog(stage.name, 'warn', m);
    const lock = { signal, purpose: `stage ${stage.name} of ${recipe.file}`, onWait: (holder: string) => warn(`waiting for the run that is computing this stage: ${holder}`) };
    let hit: Awaited<ReturnType<Store['lookup']>>;
    try {
      // Pinned, then looked up, so a concurrent `gc` cannot delete a hit we are about to use: a complete result
      // needs no lock for that (Store.lookupUnlocked); anything else is looked at again under the key's lock.
      await pins?.add(key);
      const unlocked = pins ? await store.lookupUnlocked(key, verifier) : undefined;
      hit = unlocked ? { record: unlocked } : pins ? await store.withKeyLock(key, lock, () => store.lookup(key, warn, verifier)) : await store.lookup(key, warn, verifier);
    } catch (error) {
      return outcome('failed', [], { key, error: signal.aborted ? errInterrupted(stage.name) : errStageFailed(stage.name, error) });
    }
    const isForced = forced(stage.name) && selected.has(stage.name);
    if (hit.record && !isForced && stage.cache) return cachedOutcome(stage.name, key, hit.record, store);
    const reasons = isForced ? ['forced'] : !stage.cache ? ['cache: false'] : hit.corrupt ? [`cache entry corrupt: ${hit.corrupt}`] : explainStale(manifest, key, previous[stage.name]);
    if (!selected.has(stage.name)) {
      const consumer = recipe.stages.find((s) => selected.has(s.name) && ancestorsOf(recipe.stages, [s.name]).has(stage.name))!.name;
      return outcome('failed', reasons, { key, error: errUpstreamNotCached(consumer, stage.name) });
    }
    if (options.dryRun) return outcome('would-run', reasons, { key });
    return limit(async () => {
      if (stopReason) return outcome('skipped', [stopReason]);
      try {
        return await store.withKeyLock(key, lock, async () => {
          const raced = await store.lookup(key, warn, verifier);
          if (raced.record && !isForced && stage.cache) return cachedOutcome(stage.name, key, raced.record, store);
          const fetched = remote && !isForced && stage.cache ? await remote.fetch(key, store, warn) : undefined;
          if (fetched) {
            await store.rememberOutputs(fetched, hasher).catch(() => undefined);
            const downloaded = cachedOutcome(stage.name, key, fetched, store);
            return { ...downloaded, outcome: { ...downloaded.outcome, downloaded: true, reasons: [`downloaded from ${remoteSpec!.url}`] } };
          }
          if (options.fetchOnly) return outcome('would-run', [...reasons, `not in ${remoteSpec?.url ?? 'a remote'}`], { key });
          reporter.stageStart(stage.name, reasons);
          try {
            const upstream = await upstreamOf(stage, recipe, settled, store);
            const request = {
              stage, key, manifest, inputs, store, signal, reporter, runtime: recipe.runtime, upstream,
              recheckInputs: () => recheckDatasets(stage, datasets, recipe, hasher),
              replace: isForced,
            };
            // A cluster job is another way to run this one stage.
            const record = executors?.executorOf(stage, recipe, options.executor) === 'slurm'
              ? await (await import('./executors/slurm-stage.ts')).executeOnSlurm({ ...request, recipe, remote: remoteSpec!, hasher })
              : await (await import('./execute.ts')).executeStage(request); // imported only when a stage runs: a rerun whose stages are all cached never loads it
            await store.rememberOutputs(record, hasher).catch(() => undefined); // without it the next use reads the files once
            if (remote && stage.cache) remote.publish(record, store, hasher, warn);
            return { record, outcome: { name: stage.name, status: 'ran', key, reasons, metrics: record.metrics, durationMs: record.durationMs, outDir: store.outDir(key), outputs: store.outputPaths(record), logFile: store.logFile(key) } };
          } catch (error) {
            const failure = error instanceof PipelineError && error.code === 'STAGE_FAILED' ? error : errStageFailed(stage.name, error);
            if (recipe.onError === 'fail' || signal.aborted) stopReason = `run stopped: ${stage.name} failed`;
            return outcome('failed', reasons, { key, error: failure });
          }
        });
      } catch (error) {
        // Only the lock itself gets here: Ctrl-C while waiting for it, or the disk refusing to create it.
        if (recipe.onError === 'fail' || signal.aborted) stopReason = `run stopped: ${stage.name} failed`;
        return outcome('failed', reasons, { key, error: signal.aborted ? errInterrupted(stage.name) : errStageFailed(stage.name, error) });
      }
    });
  };

  let outcomes: StageOutcome[];
  const entries: Record<string, LockEntry> = {};
  const lockMismatches: LockDifference[] = [];
  try {
    for (const stage of recipe.stages) {
      const promise = settle(stage).then((s) => {
        if (s.outcome.status !== 'not-selected') reporter.stageEnd(s.outcome);
        return s;
      });
      settled.set(stage.name, promise);
    }
    outcomes = (await Promise.all(recipe.stages.map((s) => settled.get(s.name)!))).map((s) => s.outcome);

    // Status and dry runs keep the memo too, so the next look is stat-only. It only saves rehashing, so a full disk may refuse it.
    await hasher.save().catch(() => undefined);
    for (const stage of recipe.stages) {
      const s = await settled.get(stage.name)!;
      if (!s.record) continue;
      const entry = keepRecordedRun(lockEntry(stage, s.record), previous[stage.name]);
      entries[stage.name] = entry;
      // Same key, other bytes: the lock and the store disagree. Say so; never paper over it by rewriting.
      const difference = previous[stage.name]?.key === entry.key ? compareWithLock(stage.name, previous[stage.name], entry) : undefined;
      if (difference) {
        lockMismatches.push(difference);
        const fix = options.relock ? 'the lock now has this run\'s hashes (--relock)' : 'the lock keeps its hashes: run `tempa verify` to see why, or `tempa run --relock` to accept these';
        reporter.stageLog(stage.name, 'warn', `${describeDifference(difference)}; ${fix}`);
      }
    }
    if (!options.dryRun && options.writeLock !== false) {
      const kept = new Set(options.relock ? [] : lockMismatches.map((d) => d.stage));
      const written = Object.fromEntries(Object.entries(entries).filter(([name]) => !kept.has(name)));
      const order = recipe.stages.map((s) => s.name);
      if (!lockUnchanged(previousLock, recipe.name, written, order)) await updateLock(lockFile, recipe.name, written, order);
      await registerLockFile(store, lockFile);
    }
  } finally {
    await remote?.close(); // publishing reads results that only the pins protect until the lock names them
    await pins?.close(); // only now does the lock file protect this run's results from gc
  }
  await reporter.finish(outcomes);
  return { ok: outcomes.every((o) => o.status !== 'failed' && o.status !== 'skipped'), outcomes, lockFile, entries, lockMismatches };
}

function checkStageFlags(recipe: ResolvedRecipe, options: RunOptions): void {
  const known = recipe.stages.map((s) => s.name);
  const flags: Array<[string, readonly string[] | undefined]> = [
    ['--only', options.only],
    ['--from', options.from],
    ['--to', options.to],
    ['--force', Array.isArray(options.force) ? options.force : undefined],
  ];
  const errors = flags.flatMap(([flag, names]) => (names ?? []).filter((n) => !known.includes(n)).map((n) => errUnknownStageFlag(flag, n, known)));
  if (errors.length === 1) throw errors[0];
  if (errors.length) throw new RecipeErrors(errors);
}

function cachedOutcome(name: string, key: string, record: RunRecord, store: Store): Settled {
  return { record, outcome: { name, status: 'cached', key, reasons: [], metrics: record.metrics, outDir: store.outDir(key), outputs: store.outputPaths(record), logFile: store.logFile(key) } };
}

/** Every stage `stage` depends on, directly or not, as this run settled it: what a report stage shows. */
async function upstreamOf(stage: ResolvedStage, recipe: ResolvedRecipe, settled: Map<string, Promise<Settled>>, store: Store): Promise<UpstreamStage[]> {
  const ancestors = ancestorsOf(recipe.stages, stage.needs);
  const upstream: UpstreamStage[] = [];
  for (const s of recipe.stages) {
    if (!ancestors.has(s.name)) continue;
    const { outcome, record } = await settled.get(s.name)!;
    if (!record || (outcome.status !== 'ran' && outcome.status !== 'cached')) continue;
    upstream.push({
      name: s.name,
      uses: s.uses,
      description: s.plugin.stage.description,
      needs: s.needs,
      status: outcome.status,
      key: record.key,
      plugin: record.manifest.plugin,
      metrics: record.metrics,
      info: record.info,
      durationMs: record.durationMs,
      createdAt: record.createdAt,
      outputs: store.outputPaths(record),
    });
  }
  return upstream;
}

function lockEntry(stage: ResolvedStage, record: RunRecord): LockEntry {
  const outputs: Record<string, string> = {};
  const files: Record<string, Record<string, string>> = {};
  for (const [name, out] of Object.entries(record.outputs)) {
    outputs[name] = out.hash;
    files[name] = out.files;
  }
  const entry: LockEntry = { key: record.key, uses: stage.uses, manifest: JSON.parse(canonicalJson(record.manifest)) as KeyManifest, outputs, files };
  if (record.info && Object.keys(record.info).length) entry.info = record.info;
  const recordsTheRun = Object.entries(stage.outputs).filter(([, spec]) => spec.recordsTheRun).map(([name]) => name);
  if (recordsTheRun.length) entry.recordsTheRun = recordsTheRun;
  return entry;
}

interface HashedDataset {
  artifact: InputArtifact;
  manifest: InputManifest;
}

/** Hashes every dataset the needed stages read, up front, so a bad path fails before any work. */
async function hashDatasets(recipe: ResolvedRecipe, stages: ResolvedStage[], hasher: FileHasher): Promise<Map<string, HashedDataset>> {
  const names = new Set(stages.flatMap((s) => Object.values(s.inputs).flatMap((ref) => (ref.from === 'dataset' ? [ref.dataset] : []))));
  return forEachDataset(recipe, names, (name) => hashDataset(recipe, name, hasher));
}

/** Lists every declared dataset without hashing (`tempa validate`): a missing file is reported at its line in the recipe. */
export async function checkDatasets(recipe: ResolvedRecipe): Promise<void> {
  await forEachDataset(recipe, Object.keys(recipe.datasets), (name) => listDataset(recipe.datasets[name]!.paths, recipe.datasets[name]!.dir, recipe.appRoot, recipe.datasets[name]!));
}

async function forEachDataset<T>(recipe: ResolvedRecipe, names: Iterable<string>, fn: (name: string) => Promise<T>): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  const errors: PipelineError[] = [];
  for (const name of [...names].sort()) {
    try {
      out.set(name, await fn(name));
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error;
      const at = ['datasets', name];
      errors.push(errRecipeInvalid(`dataset \`${name}\`: ${error.message}`, { location: recipe.sources.locate(at), field: at.join('.'), hint: error.hint }));
    }
  }
  if (errors.length) throw new RecipeErrors(errors);
  return out;
}

async function hashDataset(recipe: ResolvedRecipe, name: string, hasher: FileHasher): Promise<HashedDataset> {
  const spec = recipe.datasets[name]!;
  const listed = await listDataset(spec.paths, spec.dir, recipe.appRoot, spec);
  const hashed = await hasher.hashArtifact(listed.root, listed.files);
  return { artifact: { kind: listed.kind, path: listed.root, files: listed.files, hash: hashed.hash }, manifest: { hash: hashed.hash, files: hashed.files } };
}

async function recheckDatasets(stage: ResolvedStage, datasets: Map<string, HashedDataset>, recipe: ResolvedRecipe, hasher: FileHasher): Promise<string | undefined> {
  for (const [input, ref] of Object.entries(stage.inputs)) {
    if (ref.from !== 'dataset') continue;
    const now = await hashDataset(recipe, ref.dataset, hasher).catch(() => undefined);
    if (now?.manifest.hash !== datasets.get(ref.dataset)!.manifest.hash) return `${input} (dataset ${ref.dataset})`;
  }
  return undefined;
}

function bindInputs(stage: ResolvedStage, records: Map<string, RunRecord>, datasets: Map<string, HashedDataset>, store: Store) {
  const inputs: Record<string, InputArtifact> = {};
  const manifestInputs: Record<string, InputManifest> = {};
  for (const [name, ref] of Object.entries(stage.inputs)) {
    if (ref.from === 'dataset') {
      const hashed = datasets.get(ref.dataset)!;
      inputs[name] = hashed.artifact;
      manifestInputs[name] = hashed.manifest;
      continue;
    }
    const record = records.get(ref.stage)!;
    // '' names the only output of a stage whose code was not loaded (inspection): its record knows it.
    const outputName = ref.output === '' ? Object.keys(record.outputs)[0]! : ref.output;
    const output = record.outputs[outputName]!;
    inputs[name] = store.inputArtifact(record, outputName, ref.stage);
    manifestInputs[name] = { hash: output.hash, files: output.files, from: `${ref.stage}.${outputName}` };
  }
  return { inputs, manifestInputs };
}
