// The only place that starts external processes (execa). A command's output, stdout and stderr
// interleaved, is appended to the stage's log file (spawnLogged), or collected apart when the command
// answers data (runPiped). Each child leads its own process group, so cancelling a stage stops
// everything it started (a shell's children included), not just the shell.
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { startGuard } from './child-guard.ts';
import { asIoError } from './errors.ts';
import type { SpawnOptions, SpawnResult } from './stage.ts';

const GRACE_MS = 5_000;
const liveGroups = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group already exited
  }
}

// If tempa itself exits, it takes its children's process groups with it (the watchdogs cover kill -9).
process.once('exit', () => {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
});

/** Opens the log for appending; a refusal (EACCES, ENOSPC) is an IO_FAILED error naming it, not an unhandled event. */
function openLog(file: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(file, { flags: 'a' });
    log.once('open', () => {
      log.off('error', reject);
      resolve(log);
    });
    log.once('error', (error) => reject(asIoError(error, 'open log file', file)));
  });
}

/** Flushes and closes the log; resolves even when it failed, since its 'error' listener has the reason. */
function closeLog(log: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (log.destroyed) return resolve();
    log.once('close', resolve);
    log.end();
  });
}

/**
 * Runs `command` in its own process group with output appended to `options.logFile`. `groupDir`,
 * when given, records the group so a later run can end it if tempa dies in a way the watchdog misses.
 */
export async function spawnLogged(command: string, args: string[], options: SpawnOptions, signal: AbortSignal, groupDir?: string): Promise<SpawnResult> {
  signal.throwIfAborted();
  const { execa } = await import('execa'); // loaded on first use: most commands never spawn
  const log = await openLog(options.logFile);
  let logError: unknown;
  const guard = startGuard(groupDir);
  const child = execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    shell: options.shell ?? false,
    all: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    detached: true,
  });
  const pid = child.pid;
  const watched = pid === undefined ? Promise.resolve() : guard.watch(pid); // this tick: see GroupGuard.watch
  if (pid !== undefined) liveGroups.add(pid);
  let forceKill: NodeJS.Timeout | undefined;
  const cancel = () => {
    if (pid === undefined || forceKill) return;
    killGroup(pid, 'SIGTERM');
    forceKill = setTimeout(() => killGroup(pid, 'SIGKILL'), GRACE_MS);
  };
  signal.addEventListener('abort', cancel, { once: true });
  // A log that cannot be written (full disk) stops the command: its output would be lost.
  log.on('error', (error) => {
    logError ??= error;
    child.all?.unpipe(log);
    child.all?.resume(); // drain, or the output stream never ends and the wait for the child never returns
    cancel();
  });
  // Piped before any await: execa's merged stream drops what it emits while nobody listens.
  child.all?.pipe(log, { end: false });
  // The command's end is the stage's end: background processes it left would hold its output open
  // (the wait below would never return) and keep writing into the outputs or checkpoint folder.
  child.once('exit', () => {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
  });
  await watched;
  try {
    const result = await child;
    await closeLog(log);
    signal.throwIfAborted();
    if (logError) throw asIoError(logError, 'write log file', options.logFile);
    const exitCode = result.exitCode ?? (result.signal ? 128 : 1);
    return { exitCode, signal: result.signal ?? undefined, tail: exitCode === 0 ? '' : await logTail(options.logFile) };
  } finally {
    signal.removeEventListener('abort', cancel);
    if (forceKill) clearTimeout(forceKill);
    if (pid !== undefined) liveGroups.delete(pid);
    await guard.release();
    if (!log.destroyed) log.destroy();
  }
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export interface PipedOptions {
  cwd?: string;
  /** Added to tempa's own environment. */
  env?: Record<string, string>;
  shell?: boolean;
  /** Written to the command's stdin, which is then closed. */
  input: string;
  /** Past this the command's whole process group is killed. */
  timeoutMs: number;
}

export interface PipedResult {
  /** Undefined when the command never started or was killed. */
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Why the command could not start (ENOENT, EACCES), when it could not. */
  startError?: string;
}

/**
 * Runs `command` in its own process group with `input` on stdin and collects stdout and stderr apart, for
 * commands that answer data (an `exec` reward) rather than write a log. The group is killed past
 * `timeoutMs`, on `signal` (then this throws its AbortError), and when the command exits, so nothing it
 * left behind runs on.
 */
export async function runPiped(command: string, args: string[], options: PipedOptions, signal?: AbortSignal): Promise<PipedResult> {
  signal?.throwIfAborted();
  const { execa } = await import('execa');
  const guard = startGuard(undefined);
  const child = execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    shell: options.shell ?? false,
    input: options.input,
    reject: false,
    detached: true,
    stripFinalNewline: false,
  });
  const pid = child.pid;
  const watched = pid === undefined ? Promise.resolve() : guard.watch(pid); // this tick: see GroupGuard.watch
  if (pid !== undefined) liveGroups.add(pid);
  let timedOut = false;
  const kill = () => {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);
  signal?.addEventListener('abort', kill, { once: true });
  child.once('exit', kill);
  await watched;
  try {
    const result = await child;
    signal?.throwIfAborted();
    const started = pid !== undefined && (result.exitCode !== undefined || result.signal !== undefined);
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut,
      ...(started ? {} : { startError: result.originalMessage || result.shortMessage }),
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', kill);
    if (pid !== undefined) liveGroups.delete(pid);
    await guard.release();
  }
}
