// Who owns a lock, a temp folder or a child process: pid, host and the process's start time. The
// start time tells a live owner from a new process that happens to reuse a dead owner's pid.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export const HOST = os.hostname();

export interface ProcessOwner {
  pid: number;
  host: string;
  /** Kernel start time of `pid` (Linux clock ticks since boot); absent where /proc cannot say. */
  started?: string;
}

/** The start time of a process from /proc/<pid>/stat (field 22), or undefined off Linux or when it is gone. */
export function processStart(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // no /proc (macOS) or no such process: callers fall back to the pid alone
  }
  // The command name (field 2) may hold spaces and parentheses, so count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

export const currentOwner = (): ProcessOwner => ({ pid: process.pid, host: HOST, started: processStart(process.pid) });

/** Whether `pid` runs, and (when `started` is known) is still the same process that recorded it. */
export function isAlive(pid: number, started?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (started === undefined) return true;
  const now = processStart(pid);
  return now === undefined || now === started;
}

/** True when the owner certainly no longer runs: same host, and its pid is gone or reused. */
export const ownerIsGone = (owner: ProcessOwner): boolean => owner.host === HOST && !isAlive(owner.pid, owner.started);
