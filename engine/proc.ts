// The only place that starts external processes (execa). Output of the child, stdout and stderr
// interleaved, is appended to the stage's log file. Each child leads its own process group, so
// cancelling a stage stops everything it started (a shell's children included), not just the shell.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

// If tempa itself exits, it takes its children's process groups with it.
process.once('exit', () => {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
});

export async function spawnLogged(command: string, args: string[], options: SpawnOptions, signal: AbortSignal): Promise<SpawnResult> {
  signal.throwIfAborted();
  const { execa } = await import('execa'); // loaded on first use: most commands never spawn
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
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) liveGroups.add(pid);
  let forceKill: NodeJS.Timeout | undefined;
  const cancel = () => {
    if (pid === undefined) return;
    killGroup(pid, 'SIGTERM');
    forceKill = setTimeout(() => killGroup(pid, 'SIGKILL'), GRACE_MS);
  };
  signal.addEventListener('abort', cancel, { once: true });
  child.all?.pipe(log, { end: false });
  try {
    const result = await child;
    await new Promise<void>((resolve) => log.end(resolve));
    signal.throwIfAborted();
    const exitCode = result.exitCode ?? (result.signal ? 128 : 1);
    return { exitCode, signal: result.signal ?? undefined, tail: exitCode === 0 ? '' : await logTail(options.logFile) };
  } finally {
    signal.removeEventListener('abort', cancel);
    if (forceKill) clearTimeout(forceKill);
    if (pid !== undefined) liveGroups.delete(pid);
  }
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
