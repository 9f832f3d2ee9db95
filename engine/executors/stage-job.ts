// What a cluster job is told, and what it does on the node (`tempa stage-job`): pull the stage's inputs
// by key from the shared cache into the node's own store, resume its checkpoint from there too, run the
// stage as a local run would, publish the result. The node shares nothing with the submitter but the bucket.
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { App } from '../app.ts';
import { FileHasher } from '../cache/hash-files.ts';
import type { KeyManifest } from '../cache/key.ts';
import { Store, type RunRecord } from '../cache/store.ts';
import { errorText, PipelineError } from '../errors.ts';
import type { RunReporter } from '../events.ts';
import { executeStage } from '../execute.ts';
import { loadPlugin } from '../registry.ts';
import type { ResolvedStage } from '../recipe/resolve.ts';
import { blobName, downloadResult, publishResult, resultName } from '../remote/remote-results.ts';
import type { RemoteSpec } from '../remote/remote-spec.ts';
import { S3Objects } from '../remote/s3-objects.ts';
import type { ArtifactKind, InputArtifact, UpstreamStage } from '../stage.ts';
import { CheckpointSync, JobLog } from './job-sync.ts';

export const JOB_FORMAT = 'tempa-stage-job/1';

/** An input as the node finds it: another stage's result (by key), or dataset files (as blobs). */
export type JobInput =
  | { from: 'result'; key: string; output: string; stage: string }
  | { from: 'blobs'; kind: ArtifactKind; hash: string; single: boolean; files: Record<string, { sha256: string; size: number }> };

export interface StageJob {
  format: typeof JOB_FORMAT;
  remote: RemoteSpec;
  stage: { name: string; uses: string; params: unknown; seed: number };
  key: string;
  manifest: KeyManifest;
  inputs: Record<string, JobInput>;
  runtime: Record<string, unknown>;
  /** Provenance for stages that report on the pipeline; each result is pulled by its key. */
  upstream: Array<Omit<UpstreamStage, 'outputs'>>;
  /** A forced rerun: run even when the bucket has a result for the key. */
  force: boolean;
  pollSeconds: number;
}

/** Where the node writes what the submitter reads while the job runs. */
export const jobObject = {
  log: (key: string, jobId: string) => `jobs/${key.slice(0, 2)}/${key}/log-${jobId}.txt`,
  error: (key: string, jobId: string) => `jobs/${key.slice(0, 2)}/${key}/error-${jobId}.json`,
  checkpoint: (key: string) => `jobs/${key.slice(0, 2)}/${key}/checkpoint.json`,
};

export interface JobError {
  code: string;
  message: string;
  hint?: string;
}

export interface StageJobOptions {
  storeDir: string;
  jobId: string;
  /** How often Slurm started this job before (SLURM_RESTART_COUNT): a requeued job is the same job again. */
  restarts: number;
  signal: AbortSignal;
  out: (line: string) => void;
}

/** Runs `job` on this node. Resolves when the result is in the bucket; throws what the stage threw (also written to the bucket). */
export async function runStageJob(app: App, job: StageJob, options: StageJobOptions): Promise<void> {
  if (job.format !== JOB_FORMAT) throw new PipelineError('USAGE', `not a stage job: format ${String(job.format)}`, { hint: `the node's tempa is older or newer than the submitter's: ${JOB_FORMAT} expected` });
  const objects = await S3Objects.open(job.remote);
  const store = new Store(options.storeDir);
  const log = new JobLog(objects, jobObject.log(job.key, options.jobId), pendingLogOf(store, job.key));
  const note = (line: string) => {
    options.out(line);
    log.note(line);
  };
  const checkpoints = new CheckpointSync(objects, jobObject.checkpoint(job.key), store.checkpointDir(job.key));
  checkpoints.onError = (error) => note(`[tempa job] warning: could not save the checkpoint to the bucket: ${errorText(error)}`);
  let timer: NodeJS.Timeout | undefined;
  // The first line names the attempt, so the submitter can tell a requeued job's fresh log from more of the old one.
  note(`[tempa job] ${job.stage.name}: job ${options.jobId}${options.restarts ? ` (restart ${options.restarts})` : ''} on ${hostname()}`);
  try {
    await objects.check();
    if (!job.force && (await objects.exists(resultName(job.key)))) {
      note(`[tempa job] ${job.stage.name}: the bucket has its result already; nothing to run`);
      return;
    }
    const plugin = await loadPlugin(job.stage.uses, options.storeDir, app);
    const stage: ResolvedStage = {
      name: job.stage.name, uses: job.stage.uses, plugin, params: job.stage.params, keyParams: job.stage.params, needs: [], inputs: {},
      outputs: plugin.stage.outputs(job.stage.params), seed: job.stage.seed, cache: true, dir: await scratchDir(store, job.key),
    };
    const inputs = await pullInputs(objects, store, job, note);
    const upstream = await pullUpstream(objects, store, job);
    const resumed = await checkpoints.pull();
    if (resumed) note(`[tempa job] ${job.stage.name}: pulled its checkpoint (${resumed} file(s)) from the bucket`);
    log.running();
    timer = setInterval(() => void Promise.all([log.flush(), checkpoints.push()]), job.pollSeconds * 1000);
    const record = await executeStage({
      stage, key: job.key, manifest: job.manifest, inputs, store, signal: options.signal, reporter: nodeReporter(options.out), runtime: job.runtime, upstream,
      recheckInputs: async () => undefined, // the node's inputs are its own copies, checked by hash on download
      replace: job.force,
    });
    clearInterval(timer);
    timer = undefined;
    log.finished(store.logFile(record.key)); // committed: the pending log moved there
    const published = await publishResult(objects, store, record, new FileHasher(), new Set());
    await checkpoints.clear(); // as a local run drops its checkpoints on commit: a forced rerun starts afresh
    note(`[tempa job] ${job.stage.name}: ${published.wroteResult ? 'published' : 'the bucket had a result already for'} ${job.key.slice(0, 12)} (${published.uploaded} file(s) uploaded)`);
  } catch (error) {
    if (timer) clearInterval(timer);
    log.finished();
    // The checkpoint is what a resubmitted job resumes from: push the last one before Slurm's SIGKILL.
    await checkpoints.push();
    const failure: JobError = error instanceof PipelineError ? { code: error.code, message: error.message, hint: error.hint } : { code: 'STAGE_FAILED', message: errorText(error) };
    note(`[tempa job] ${failure.message}${failure.hint ? ` (${failure.hint})` : ''}`);
    if (!options.signal.aborted) await objects.putBytes(jobObject.error(job.key, options.jobId), Buffer.from(JSON.stringify(failure)), 'application/json').catch(() => undefined);
    throw error;
  } finally {
    await log.flush().catch(() => undefined);
    objects.close();
  }
}

/** The log of the stage while it runs (Store.begin writes it there), then as committed. */
const pendingLogOf = (store: Store, key: string) => path.join(store.root, 'logs', `${key}.log`);

/** An empty folder for the stage's `recipeDir`: the recipe's folder is on the submitting machine, not here. One per key: a kept store may serve two jobs at once. */
async function scratchDir(store: Store, key: string): Promise<string> {
  const dir = path.join(store.root, 'work', key);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

async function pullInputs(objects: S3Objects, store: Store, job: StageJob, note: (line: string) => void): Promise<Record<string, InputArtifact>> {
  const inputs: Record<string, InputArtifact> = {};
  for (const [name, input] of Object.entries(job.inputs)) {
    if (input.from === 'result') {
      const record = await pullResult(objects, store, input.key, `input ${name} (${input.stage})`);
      const output = input.output in record.outputs ? input.output : Object.keys(record.outputs)[0]!;
      inputs[name] = store.inputArtifact(record, output, input.stage);
      continue;
    }
    const root = path.join(store.root, 'inputs', input.hash);
    const rels = Object.keys(input.files).sort();
    const hasher = new FileHasher();
    for (const rel of rels) {
      const file = path.join(root, rel);
      const { sha256, size } = input.files[rel]!;
      // A kept node store (`slurm.storeDir`) may hold them from an earlier job.
      if ((await hasher.hashFile(file).catch(() => undefined)) !== sha256) await objects.download(blobName(sha256), file, sha256, size);
    }
    const top = input.single ? path.join(root, rels[0]!) : root;
    inputs[name] = { kind: input.kind, path: top, files: input.single ? [top] : rels.map((rel) => path.join(root, rel)), hash: input.hash };
  }
  if (Object.keys(inputs).length) note(`[tempa job] ${job.stage.name}: pulled ${Object.keys(inputs).length} input(s) by key`);
  return inputs;
}

async function pullUpstream(objects: S3Objects, store: Store, job: StageJob): Promise<UpstreamStage[]> {
  const upstream: UpstreamStage[] = [];
  for (const u of job.upstream) {
    const record = await pullResult(objects, store, u.key, `upstream result ${u.name}`);
    upstream.push({ ...u, outputs: store.outputPaths(record) });
  }
  return upstream;
}

async function pullResult(objects: S3Objects, store: Store, key: string, what: string): Promise<RunRecord> {
  const local = await store.lookup(key, () => undefined);
  if (local.record) return local.record;
  const record = await downloadResult(objects, store, key, new Set());
  if (!record) throw new PipelineError('ARTIFACT_MISSING', `${what} (${key.slice(0, 12)}) is not in ${objects.spec.url}`, { hint: 'the submitting run publishes every input before it submits; was the bucket cleaned meanwhile?' });
  return record;
}

/** On the node, stage messages go to the job's output file; the submitter sees them through the log it reads from the bucket. */
function nodeReporter(out: (line: string) => void): RunReporter {
  return {
    start() {},
    stageStart() {},
    stageProgress() {},
    stageLog: (name, level, message) => out(`${name}: ${level === 'warn' ? 'warning: ' : ''}${message}`),
    stageEnd() {},
    finish() {},
  };
}
