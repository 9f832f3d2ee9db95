// `tempa stage-job`: the node's side of a cluster job. Reads the job from stdin, runs it, and answers
// Slurm with an exit code; SIGTERM (scancel, requeue, preemption) stops the stage after saving its checkpoint.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../app.ts';
import { PipelineError } from '../errors.ts';
import { runStageJob, type StageJob } from '../executors/stage-job.ts';
import { formatError } from './format-error.ts';
import { interruptOnSignal } from './interrupt.ts';
import { EXIT } from './shared.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function stageJobCommand(app: App, flags: { store: string; scratch?: boolean }): Promise<number> {
  const interrupt = interruptOnSignal(() => true, 'stopping the stage: the job was cancelled or requeued\n');
  const storeDir = path.resolve(flags.store);
  try {
    let job: StageJob;
    try {
      job = JSON.parse(await readStdin()) as StageJob;
    } catch (error) {
      throw new PipelineError('USAGE', `the stage job on stdin is not JSON: ${(error as Error).message}`, { hint: 'tempa stage-job is run by the slurm executor, which writes its input' });
    }
    await runStageJob(app, job, {
      storeDir,
      jobId: process.env.SLURM_JOB_ID ?? `pid-${process.pid}`,
      restarts: Number(process.env.SLURM_RESTART_COUNT ?? 0) || 0,
      signal: interrupt.signal,
      out: (line) => process.stdout.write(`${line}\n`),
    });
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(`${formatError(error)}\n`);
    return interrupt.signal.aborted ? EXIT.interrupted : EXIT.stageFailed;
  } finally {
    if (flags.scratch) await rm(storeDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
