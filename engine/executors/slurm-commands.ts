// The Slurm client commands the executor uses (sbatch, squeue, sacct, scancel) and the batch script it
// submits. Slurm's own CLI, not its REST API: it is on every login node and needs no token.
import { PipelineError } from '../errors.ts';
import { runPiped } from '../proc.ts';
import type { ResolvedStage } from '../recipe/resolve.ts';
import type { SlurmSettings } from './slurm-settings.ts';

const TIMEOUT_MS = 60_000;

/** Job states after which Slurm will not run the job again by itself. */
export const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'SPECIAL_EXIT']);
/** Ended by the scheduler (or an admin), not by the stage: submitted again, to resume from the checkpoint. */
export const RESUBMIT_STATES = new Set(['CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

export interface JobState {
  state: string;
  reason: string;
  /** How often Slurm requeued the job so far (squeue's RestartCnt; unknown once only sacct knows the job). */
  restarts?: number;
}

async function slurm(command: string, args: string[], input = ''): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const result = await runPiped(command, args, { input, timeoutMs: TIMEOUT_MS });
  if (result.startError) {
    throw new PipelineError('SUBPROCESS_FAILED', `cannot run ${command}: ${result.startError}`, {
      hint: "the slurm executor runs Slurm's client commands on this machine: install them (apt install slurm-client) and point SLURM_CONF at the cluster's slurm.conf",
    });
  }
  if (result.timedOut) throw new PipelineError('SUBPROCESS_FAILED', `${command} ${args.join(' ')} gave no answer in ${TIMEOUT_MS / 1000} s`, { hint: 'is slurmctld up? `scontrol ping` tells' });
  return { ok: result.exitCode === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** Submits `script` (on sbatch's stdin); the job id. */
export async function submitJob(script: string): Promise<string> {
  const { ok, stdout, stderr } = await slurm('sbatch', ['--parsable'], script);
  const id = stdout.split(';')[0]!.trim();
  if (!ok || !/^\d+$/.test(id)) {
    const unreachable = /configuration source|Unable to contact slurm controller|Connection refused/i.test(stderr);
    throw new PipelineError('SUBPROCESS_FAILED', `sbatch refused the job: ${stderr || stdout || 'no reason given'}`, {
      hint: unreachable ? "sbatch cannot reach the cluster: set SLURM_CONF to its slurm.conf, or run from a login node (`scontrol ping` tells)" : "check `slurm:` (partition, account, qos, sbatchArgs) and the stage's `resources:` against `sinfo` and your limits",
    });
  }
  return id;
}

/** The job's state from squeue, or from sacct once squeue has forgotten it; undefined when neither knows it. */
export async function jobState(id: string): Promise<JobState | undefined> {
  const queued = await slurm('squeue', ['--noheader', '--states=all', `--jobs=${id}`, '--Format=State:|,RestartCnt:|,Reason:']);
  const line = queued.ok ? queued.stdout.split('\n').find(Boolean) : undefined;
  if (line) {
    const [state, restarts, ...reason] = line.split('|');
    return { state: state!, reason: reason.join('|').trim(), restarts: Number(restarts) };
  }
  // Without accounting storage sacct fails: then nobody knows, and the bucket will tell what happened.
  const accounted = await slurm('sacct', ['--noheader', '--parsable2', '--allocations', `--jobs=${id}`, '--format=State']);
  const state = accounted.ok ? accounted.stdout.split('\n').find(Boolean)?.split(' ')[0] : undefined;
  return state ? { state, reason: '' } : undefined;
}

export async function cancelJob(id: string): Promise<void> {
  const { ok, stderr } = await slurm('scancel', [id]);
  if (!ok && !/already completing or completed|Invalid job id/i.test(stderr)) throw new PipelineError('SUBPROCESS_FAILED', `scancel ${id} failed: ${stderr}`, { hint: `cancel it by hand: scancel ${id}` });
}

/** `s` as one word of a POSIX shell command line. */
export const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

const jobName = (stage: ResolvedStage) => `tempa-${stage.name}`;

/** The job's own output file on the node, as --chdir and --output below make Slurm name it: where to look when tempa there could not report. */
export const jobOutputFile = (settings: SlurmSettings, stage: ResolvedStage, id: string) => `${settings.workDir}/tempa-${jobName(stage)}-${id}.out`;

export interface ScriptParts {
  stage: ResolvedStage;
  settings: SlurmSettings;
  /** How the node starts tempa: a shell command line. */
  command: string;
  /** The job as JSON on one line (JSON.stringify never writes a newline), so it cannot end the here-document early. */
  job: string;
}

/** The batch script: resources as #SBATCH lines, then tempa on the node, handed the job on stdin. */
export function batchScript({ stage, settings, command, job }: ScriptParts): string {
  const r = stage.resources ?? {};
  const flags = [
    `--job-name=${jobName(stage)}`,
    `--chdir=${settings.workDir}`,
    '--output=tempa-%x-%j.out',
    '--open-mode=append', // a requeued job keeps its earlier output
    '--requeue', // a preempted or failed node gives the job back to the queue; it resumes from its checkpoint
    ...(r.cpus ? [`--cpus-per-task=${r.cpus}`] : []),
    ...(r.memory ? [`--mem=${r.memory}`] : []),
    ...(r.gpus ? [`--gres=gpu:${r.gpus}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
    ...(settings.partition ? [`--partition=${settings.partition}`] : []),
    ...(settings.account ? [`--account=${settings.account}`] : []),
    ...(settings.qos ? [`--qos=${settings.qos}`] : []),
    ...(settings.sbatchArgs ?? []),
  ];
  // A requeued job keeps its id, and its first run may still be deleting its scratch store: one per run.
  const store = settings.storeDir ? `--store ${quote(settings.storeDir)}` : '--store "${TMPDIR:-/tmp}/tempa-job-$SLURM_JOB_ID.${SLURM_RESTART_COUNT:-0}" --scratch';
  return ['#!/bin/bash', ...flags.map((f) => `#SBATCH ${f}`), `exec ${command} stage-job ${store} <<'TEMPA_JOB'`, job, 'TEMPA_JOB', ''].join('\n');
}
