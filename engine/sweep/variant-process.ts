// Runs one variant of a sweep in a process of its own (this same command line program, `sweep
// --variant-worker`), so variants that compute in tempa's thread run side by side on several cores, and
// one that crashes takes no other down. Its progress lines come back prefixed; its result as JSON.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PipelineError } from '../errors.ts';
import type { VariantRunner } from './run-sweep.ts';
import { fromWire, RESULT_MARK, type VariantJob, type WireResult } from './variant-wire.ts';

/** Lines of a failed process's stderr kept for its reason. */
const TAIL_LINES = 20;

export interface ProcessRunnerOptions {
  /** The program and arguments that start this CLI: [node, ...execArgv, script]. */
  command: readonly string[];
  storeDir: string;
  signal: AbortSignal;
  remote?: string;
  remoteEndpoint?: string;
  /** TEMPA_THREADS for each variant's native thread pool: the cores shared among the variants that run at once. */
  threads?: number;
  /** Where each line the variant prints goes (already prefixed by the caller's choice). */
  log: (variantIndex: number, line: string) => void;
}

export const processRunner =
  (options: ProcessRunnerOptions): VariantRunner =>
  (recipe, variant, lockFile) => {
    const job: VariantJob = { sets: variant.sets, lockFile, storeDir: options.storeDir, remote: options.remote, remoteEndpoint: options.remoteEndpoint };
    const [program, ...args] = options.command;
    // stdin is how the sweep stops the variant: closing it (or the sweep dying) aborts the run inside,
    // as a first Ctrl-C would, without a second signal that would end it before it cleans up.
    const env = options.threads === undefined ? process.env : { ...process.env, TEMPA_THREADS: String(options.threads) };
    const child = spawn(program!, [...args, 'sweep', recipe.file, '--variant-worker', JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'], env });
    child.stdin.on('error', () => undefined); // EPIPE once the variant has exited: nothing left to stop
    const stop = () => child.stdin.end();
    if (options.signal.aborted) stop();
    else options.signal.addEventListener('abort', stop, { once: true });

    let result: WireResult | undefined;
    const tail: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(RESULT_MARK)) result = JSON.parse(line.slice(RESULT_MARK.length)) as WireResult;
      else options.log(variant.index, line);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      options.log(variant.index, line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        options.signal.removeEventListener('abort', stop);
        if (result) return resolve(fromWire(result));
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new PipelineError('STAGE_FAILED', `the variant's process ${how} before it reported a result`, { hint: tail.length ? `its last output: ${tail[tail.length - 1]}` : undefined }));
      });
    });
  };
