// Test projects: real files in a fresh temp folder, and ways to run tempa on them, in-process
// (fast, for counting) or as a real child process (exit codes, signals, concurrency).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveRecipe } from '../../engine/recipe/resolve.ts';
import { runRecipe, type RunOptions, type RunSummary } from '../../engine/run.ts';
import { TEMPA, TEMPA_ROOT } from '../../stages/builtin.ts';
import { tempDir } from './temp-dir.ts';

export const REPO_ROOT = TEMPA_ROOT;
export const TEMPA_BIN = path.join(REPO_ROOT, 'bin', 'tempa.js');

/** Writes `files` (path -> content) under a new temp folder and returns it. */
export async function makeProject(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('tempa-test-');
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
}

export interface PipelineRun extends RunSummary {
  ran: string[];
  cached: string[];
  failed: string[];
}

/** Resolves and runs a recipe in this process, returning which stages ran and which hit the cache. */
export async function runPipeline(recipeFile: string, options: RunOptions & { sets?: string[] } = {}): Promise<PipelineRun> {
  const recipe = await resolveRecipe(recipeFile, TEMPA, { sets: options.sets });
  const summary = await runRecipe(recipe, options);
  const having = (status: string) => summary.outcomes.filter((o) => o.status === status).map((o) => o.name);
  return { ...summary, ran: having('ran'), cached: having('cached'), failed: having('failed') };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Commands that run a recipe's code, and so ask for trust first. */
const RUNS_CODE = new Set(['run', 'verify', 'chat', 'generate', 'label', 'report']);

/**
 * Starts `tempa <args>` as a child process in its own process group (so tests can kill the group).
 * `input`, when given, is piped to its stdin, which then closes. The recipes tests write are their own,
 * so commands that run code get `--trust` unless `trusted: false` (the trust tests).
 */
export function startTempa(args: string[], cwd: string, input?: string, options: { trusted?: boolean; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  if (options.trusted !== false && RUNS_CODE.has(args[0]!) && !args.includes('--trust')) args = [args[0]!, '--trust', ...args.slice(1)];
  const child = spawn(process.execPath, [TEMPA_BIN, ...args], { cwd, detached: true, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...options.env } });
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function tempa(args: string[], cwd: string, input?: string, options: { trusted?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return startTempa(args, cwd, input, options).done;
}

/** Polls until `check` returns true, failing after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
