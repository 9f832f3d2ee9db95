// Runs the real `tempa` command line as a child process and times it end to end (Node start-up,
// the module loader, module loading and the command itself), the way a user experiences it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TEMPA_ROOT } from '../stages/builtin.ts';

export const REPO_ROOT = TEMPA_ROOT;
const TEMPA_BIN = path.join(REPO_ROOT, 'bin', 'tempa.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `env` is added to the environment: TEMPA_COMPILED=0 runs through tsx instead of dist/. */
export function runTempa(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  return runNode([TEMPA_BIN, ...args], cwd, env);
}

/** `node <args>` with this process's Node binary, timed from spawn to exit. */
export function runNode(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  const start = performance.now();
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - start }));
  });
}

/** Like runTempa, but a non-zero exit is an error carrying the command's output. */
export async function runTempaOk(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runTempa(args, cwd, env);
  if (run.code !== 0) throw new Error(`tempa ${args.join(' ')} exited ${run.code}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  return run;
}

interface JsonStage {
  name: string;
  status: string;
}

/** Stage statuses from `tempa run --json`, counted: { cached: 50 }. */
export function countStatuses(stdout: string): Record<string, number> {
  const parsed = JSON.parse(stdout) as { stages: JsonStage[] };
  const counts: Record<string, number> = {};
  for (const s of parsed.stages) counts[s.status] = (counts[s.status] ?? 0) + 1;
  return counts;
}
