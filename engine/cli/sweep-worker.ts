// The inside of one sweep variant's process (`tempa sweep --variant-worker <job>`, started by the sweep,
// never by hand): run the recipe with the variant's overrides into the sweep's store, progress on
// stderr, the result as one marked JSON line on stdout.
import type { App } from '../app.ts';
import { runVariantRecipe } from '../sweep/run-sweep.ts';
import { RESULT_MARK, toWire, type VariantJob, type WireResult } from '../sweep/variant-wire.ts';
import { createLineReporter } from '../ui-lines.ts';
import { interruptOnSignal } from './interrupt.ts';
import { loadToRun } from './load-to-run.ts';
import { EXIT } from './shared.ts';

export async function runVariantWorker(app: App, recipeFile: string, job: VariantJob): Promise<number> {
  const interrupt = interruptOnSignal(() => true);
  // The sweep closes our stdin to stop us, and the pipe closes by itself if the sweep dies. Apart from
  // the signal's controller: a Ctrl-C that reaches us after the sweep's stop is a first one, not a second.
  const stopped = new AbortController();
  const stop = () => stopped.abort(new Error('stopped by the sweep'));
  const signal = AbortSignal.any([interrupt.signal, stopped.signal]);
  process.stdin.on('end', stop).on('error', stop).resume();
  let result: WireResult;
  try {
    // The sweep asked for trust of every variant before starting any.
    const recipe = await loadToRun(app, recipeFile, job.sets, true);
    const summary = await runVariantRecipe(recipe, job.lockFile, {
      storeDir: job.storeDir,
      signal,
      remote: job.remote,
      remoteEndpoint: job.remoteEndpoint,
      reporter: createLineReporter((line) => process.stderr.write(`${line}\n`)),
    });
    result = toWire(summary.ok, summary.outcomes);
  } catch (error) {
    result = toWire(false, [], error);
  } finally {
    process.stdin.off('end', stop).off('error', stop).destroy(); // a pipe left open would keep this process alive
  }
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
  if (signal.aborted) return EXIT.interrupted;
  return result.ok ? EXIT.ok : EXIT.stageFailed;
}
