// The only place that starts external processes (execa). Output of the child, stdout and stderr
// interleaved, is appended to the stage's log file; cancellation kills the child's process group.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { SpawnOptions, SpawnResult } from './stage.ts';

export async function spawnLogged(command: string, args: string[], options: SpawnOptions, signal: AbortSignal): Promise<SpawnResult> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  await new Promise((resolve) => log.once('open', resolve));
  const child = execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    shell: options.shell ?? false,
    all: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    cancelSignal: signal,
    forceKillAfterDelay: 5_000,
    cleanup: true,
  });
  child.all?.pipe(log, { end: false });
  const result = await child;
  await new Promise<void>((resolve) => log.end(resolve));
  if (result.isCanceled) signal.throwIfAborted();
  const exitCode = result.exitCode ?? (result.signal ? 128 : 1);
  return { exitCode, signal: result.signal ?? undefined, tail: exitCode === 0 ? '' : await logTail(options.logFile) };
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
