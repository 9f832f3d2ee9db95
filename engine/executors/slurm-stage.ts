// Runs one stage as a Slurm batch job instead of in this process: the run's scheduler (engine/run.ts)
// is unchanged and calls this where it would call executeStage. The stage's inputs go to the bucket
// first, the job runs `tempa stage-job` on a node, and its result comes back from the bucket by key.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileHasher } from '../cache/hash-files.ts';
import type { RunRecord } from '../cache/store.ts';
import { errInterrupted, errorText, PipelineError } from '../errors.ts';
import type { ExecuteRequest } from '../execute.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import { blobName, downloadResult, publishResult, resultName } from '../remote/remote-results.ts';
import type { RemoteSpec } from '../remote/remote-spec.ts';
import { S3Objects } from '../remote/s3-objects.ts';
import { batchScript, cancelJob, FINAL_STATES, jobOutputFile, jobState, quote, RESUBMIT_STATES, submitJob, type JobState } from './slurm-commands.ts';
import { slurmSettings } from './slurm-settings.ts';
import { JOB_FORMAT, jobObject, type JobError, type JobInput, type StageJob } from './stage-job.ts';

export interface SlurmRequest extends ExecuteRequest {
  recipe: ResolvedRecipe;
  remote: RemoteSpec;
  hasher: FileHasher;
}

export async function executeOnSlurm(req: SlurmRequest): Promise<RunRecord> {
  const { stage, key, store, signal, reporter } = req;
  const say = (m: string) => reporter.stageLog(stage.name, 'info', m);
  const warn = (m: string) => reporter.stageLog(stage.name, 'warn', m);
  const settings = slurmSettings(req.recipe.slurm);
  const objects = await S3Objects.open(req.remote);
  try {
    await objects.check();
    const job = await prepareJob(objects, req);
    const script = batchScript({ stage, settings, command: settings.command ?? selfCommand(), job: JSON.stringify(job) });
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      const id = await submitJob(script);
      say(`submitted as Slurm job ${id}${attempt ? ` (resubmission ${attempt} of at most ${settings.maxResubmits})` : ''}`);
      const end = await watchJob(id, objects, req, settings.pollSeconds);
      if (end.state === 'COMPLETED') {
        const record = await downloadResult(objects, store, key, new Set());
        if (record) return record;
        throw new PipelineError('STAGE_FAILED', `[stage ${stage.name}] Slurm job ${id} completed but left no result in ${req.remote.url}`, { stage: stage.name, hint: `its output file on the node (${jobOutputFile(settings, stage, id)}) says why` });
      }
      const failure = await readJobError(objects, key, id);
      // Killed from outside, or tempa on the node died without a word (it reports every failure of the
      // stage): not the stage's fault. A job whose tempa never started (a wrong `slurm.command`) is.
      const lost = RESUBMIT_STATES.has(end.state) || (end.state === 'FAILED' && end.started);
      if (!failure && lost && attempt < settings.maxResubmits) {
        warn(`Slurm job ${id} ended ${end.state}${end.reason && end.reason !== 'None' ? ` (${end.reason})` : ''} without a result: submitting it again, to resume from its last checkpoint`);
        continue;
      }
      throw new PipelineError('STAGE_FAILED', `[stage ${stage.name}] ${failure?.message ?? `Slurm job ${id} ended ${end.state}${lost ? ` after ${attempt} resubmission(s)` : ''}`}`, {
        stage: stage.name,
        hint: failure?.hint ?? (lost ? 'raise `slurm.maxResubmits`, or the stage\'s `resources.time`' : `its output file on the node (${jobOutputFile(settings, stage, id)}) says why`),
      });
    }
  } catch (error) {
    if (signal.aborted) throw errInterrupted(stage.name);
    throw error;
  } finally {
    objects.close();
  }
}

/** The CLI that started this run, at the same path: what a node runs unless `slurm.command` says otherwise. */
function selfCommand(): string {
  const script = process.argv[1] ?? '';
  if (!/tempa(\.js)?$/.test(script)) {
    throw new PipelineError('USAGE', `cannot tell how a Slurm node starts tempa: this process is ${script || 'not a script'}`, { hint: 'set `slurm.command` in the recipe, e.g. `node /shared/tempa/bin/tempa.js`' });
  }
  return [process.execPath, path.resolve(script)].map(quote).join(' ');
}

/** Puts every input and upstream result in the bucket (the node finds them by hash or key) and describes the job. */
async function prepareJob(objects: S3Objects, req: SlurmRequest): Promise<StageJob> {
  const { stage, store, manifest } = req;
  const keys = new Map(req.upstream.map((u) => [u.name, u.key]));
  const publish = async (key: string) => {
    const { record } = await store.lookup(key, () => undefined, req.hasher);
    if (!record) throw new PipelineError('ARTIFACT_MISSING', `[stage ${stage.name}] upstream result ${key.slice(0, 12)} is not in the local store`, { hint: 'run again: it is computed first' });
    await publishResult(objects, store, record, req.hasher, new Set());
  };
  await Promise.all(req.upstream.map((u) => publish(u.key)));
  const inputs: Record<string, JobInput> = {};
  for (const [name, artifact] of Object.entries(req.inputs)) {
    if (artifact.from) {
      inputs[name] = { from: 'result', key: keys.get(artifact.from.stage)!, output: artifact.from.output, stage: artifact.from.stage };
      continue;
    }
    const single = artifact.files.length === 1 && artifact.files[0] === artifact.path;
    const files: Record<string, { sha256: string; size: number }> = {};
    for (const [rel, sha256] of Object.entries(manifest.inputs[name]!.files)) {
      const file = single ? artifact.path : path.join(artifact.path, rel);
      const { size } = await stat(file);
      if (!(await objects.exists(blobName(sha256)))) {
        if ((await req.hasher.hashFile(file)) !== sha256) throw new PipelineError('STAGE_FAILED', `[stage ${stage.name}] ${file} changed since the run began`, { hint: 'run again once it has stopped changing' });
        await objects.putFile(blobName(sha256), file, size);
      }
      files[rel] = { sha256, size };
    }
    inputs[name] = { from: 'blobs', kind: artifact.kind, hash: artifact.hash, single, files };
  }
  return {
    format: JOB_FORMAT,
    remote: req.remote,
    stage: { name: stage.name, uses: stage.uses, params: stage.params, seed: stage.seed },
    key: req.key,
    manifest,
    inputs,
    runtime: req.runtime,
    upstream: req.upstream.map(({ outputs: _outputs, ...u }) => u),
    force: req.replace ?? false,
    pollSeconds: slurmSettings(req.recipe.slurm).pollSeconds,
  };
}

/**
 * Polls the job until Slurm is done with it, showing its log as the node uploads it. A job the
 * scheduler requeues stays the same job: it is watched on. Ctrl-C cancels it.
 */
async function watchJob(id: string, objects: S3Objects, req: SlurmRequest, pollSeconds: number): Promise<JobState & { started: boolean }> {
  const { stage, signal, key } = req;
  const say = (m: string) => req.reporter.stageLog(stage.name, 'info', m);
  let shown = 0;
  let head = '';
  let ran = false;
  let restarts = 0;
  // Said once per requeue: seen as Slurm's restart count going up (squeue shows it from the requeue until
  // the job leaves the queue, whatever state it is in when polled), as the job pending again after
  // running, or as a log that starts over.
  let announced = false;
  const announce = (why: string) => {
    if (!announced) say(`Slurm requeued job ${id}${why}; it resumes from its last checkpoint`);
    announced = true;
  };
  const showLog = async () => {
    const text = (await objects.getBytes(jobObject.log(key, id)).catch(() => undefined))?.toString('utf8') ?? '';
    if (!text) return; // not written yet, or not readable this time
    // The first line names the attempt: another one means the job started over (requeued), and so did its log.
    const first = text.slice(0, text.indexOf('\n') + 1);
    if (first !== head) {
      if (head) announce('');
      [head, shown, announced] = [first, 0, false];
    }
    const lines = text.slice(shown).split('\n');
    const complete = lines.slice(0, -1); // a line still being written waits for the next look
    for (const line of complete) say(line);
    shown += complete.reduce((n, line) => n + line.length + 1, 0);
  };
  for (;;) {
    if (signal.aborted) {
      await cancelJob(id);
      say(`cancelled Slurm job ${id}`);
      throw errInterrupted(stage.name);
    }
    const state = (await jobState(id)) ?? (await guessEnd(objects, key, id));
    const requeued: boolean = (state.restarts ?? 0) > restarts || (ran && /^(PENDING|REQUEUED|REQUEUE_HOLD|REQUEUE_FED)$/.test(state.state));
    restarts = Math.max(restarts, state.restarts ?? 0);
    if (requeued) announce(state.reason && state.reason !== 'None' ? ` (${state.reason})` : '');
    ran = state.state === 'RUNNING' || (ran && !requeued);
    await showLog();
    if (FINAL_STATES.has(state.state)) return { ...state, started: head !== '' };
    await sleep(pollSeconds * 1000, undefined, { signal }).catch(() => undefined);
  }
}

/** A job neither squeue nor sacct knows any more (purged, no accounting): what the bucket says it did. */
async function guessEnd(objects: S3Objects, key: string, id: string): Promise<JobState> {
  if (await objects.exists(resultName(key))) return { state: 'COMPLETED', reason: 'result in the bucket' };
  if (await objects.exists(jobObject.error(key, id))) return { state: 'FAILED', reason: 'error in the bucket' };
  return { state: 'NODE_FAIL', reason: 'Slurm no longer knows the job and it left no result' };
}

async function readJobError(objects: S3Objects, key: string, id: string): Promise<JobError | undefined> {
  const bytes = await objects.getBytes(jobObject.error(key, id)).catch(() => undefined);
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as JobError;
  } catch (error) {
    return { code: 'STAGE_FAILED', message: `the job's error report is unreadable (${errorText(error)})` };
  }
}
