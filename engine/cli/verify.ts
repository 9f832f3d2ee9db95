// `tempa verify [recipe]`: does this machine reproduce the committed lock? Reruns every stage in a scratch
// store (or, with --no-run, re-reads and rehashes the results in the store) and compares each stage's key
// and output hashes with the lock, naming the first stage that differs, the file, and the likely cause.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errUsage } from '../errors.ts';
import type { RunReporter } from '../events.ts';
import { compareWithLock, type LockDifference } from '../lock-check.ts';
import { lockPathFor, readLock } from '../lockfile.ts';
import type { ResolvedRecipe } from '../recipe/resolve.ts';
import { runRecipe } from '../run.ts';
import { EXIT } from './shared.ts';

export interface VerifyOptions {
  /** Rehash the results already in `storeDir` instead of recomputing them. */
  noRun: boolean;
  storeDir: string;
  signal?: AbortSignal;
  reporter?: RunReporter;
  out: (line: string) => void;
}

/** Each stage's verdict: undefined is a match. */
interface Verdict {
  stage: string;
  difference?: LockDifference;
  /** A stage that has no result to compare (it failed, or --no-run found nothing in the store). */
  missing?: string;
}

export async function verifyRecipe(recipe: ResolvedRecipe, options: VerifyOptions): Promise<number> {
  const lockFile = lockPathFor(recipe.file);
  const lock = await readLock(lockFile);
  if (!lock) throw errUsage(`no lock file to verify against: ${path.relative(process.cwd(), lockFile)}`, 'run the recipe once (tempa run) and commit the lock it writes');
  const scratch = options.noRun ? undefined : await mkdtemp(path.join(os.tmpdir(), 'tempa-verify-'));
  let summary: Awaited<ReturnType<typeof runRecipe>>;
  try {
    summary = options.noRun
      ? await runRecipe(recipe, { dryRun: true, verify: true, storeDir: options.storeDir, signal: options.signal })
      : // Recomputing is the point: a shared cache would hand back the very results under test.
        await runRecipe(recipe, { storeDir: scratch!, writeLock: false, remote: false, signal: options.signal, reporter: options.reporter });
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  const verdicts: Verdict[] = summary.outcomes.map((outcome) => {
    const entry = summary.entries[outcome.name];
    if (entry) return { stage: outcome.name, difference: compareWithLock(outcome.name, lock.stages[outcome.name], entry) };
    const why = outcome.error?.message ?? outcome.reasons.join('; ');
    return { stage: outcome.name, missing: why || outcome.status };
  });
  const { out } = options;
  out(`${path.relative(process.cwd(), recipe.file)} against ${path.relative(process.cwd(), lockFile)} (${options.noRun ? 'results in the store rehashed' : 'every stage rerun in a scratch store'})`);
  const width = Math.max(...verdicts.map((v) => v.stage.length));
  let first: Verdict | undefined;
  for (const v of verdicts) {
    const bad = v.difference ?? v.missing;
    // Upstream of a difference, a downstream stage's key differs only because its input did: say so briefly.
    const downstream = first && v.difference?.kind === 'key' && v.difference.details.every((d) => d.startsWith('input '));
    const unverified = summary.entries[v.stage]?.recordsTheRun;
    if (!bad) out(`${v.stage.padEnd(width)}  ok${unverified?.length ? ` (${unverified.join(', ')} records the run: not compared)` : ''}`);
    else if (downstream) out(`${v.stage.padEnd(width)}  differs (downstream of ${first!.stage})`);
    else if (v.missing) {
      out(`${v.stage.padEnd(width)}  not verified: ${v.missing}`);
      if (v.missing.includes('corrupt')) out(`${''.padEnd(width)}  likely cause: the stored result was changed after it was written (data); it was deleted, \`tempa run\` recomputes it`);
    }
    else {
      const d = v.difference!;
      out(`${v.stage.padEnd(width)}  ${d.kind === 'key' ? 'key differs' : 'outputs differ'}: ${d.details.join(d.kind === 'key' ? '; ' : ', ')}`);
      out(`${''.padEnd(width)}  likely cause: ${d.causes.join('; ')}`);
    }
    if (bad && !first) first = v;
  }
  if (!first) {
    out(`verified: all ${verdicts.length} stages match the lock`);
    return EXIT.ok;
  }
  const where = first.difference ? `${first.difference.kind === 'outputs' ? `file ${first.difference.details[0]}` : first.difference.details[0]}; likely cause: ${first.difference.causes[0]}` : first.missing;
  out(`first difference: stage ${first.stage}, ${where}`);
  return EXIT.stageFailed;
}
