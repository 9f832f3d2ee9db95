// Child process groups must not outlive tempa, however it ends: a watchdog per group ends it the
// moment tempa's end closes a pipe (kill -9 included), and a record of each group lets the next run
// end whatever still survived before it reuses that stage's checkpoint folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { currentOwner, isAlive, ownerIsGone, processStart, type ProcessOwner } from './process-owner.ts';

interface GroupRecord {
  /** The group leader; the group id is its pid. */
  pid: number;
  started?: string;
  owner: ProcessOwner;
}

export interface GroupGuard {
  /**
   * Guards group `pgid`: tells the watchdog at once (call it in the same tick as the spawn, so a
   * kill of tempa cannot fall between the two) and records the group in the guard's folder.
   */
  watch(pgid: number): Promise<void>;
  /** The group ended normally: stop the watchdog, forget the record. */
  release(): Promise<void>;
}

/**
 * The watchdog is a shell blocked reading a pipe whose only writer is this process: first the
 * group id, then nothing until this process ends in any way, which closes the pipe; `read` returns
 * and the shell kills the group. It runs in its own session, so a signal aimed at tempa's group
 * does not take it down first. It is started before the child, whose group id it learns later.
 */
function startWatchdog(): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined;
  const dog = spawn('/bin/sh', ['-c', 'read pgid || exit 0; read _; kill -s KILL -- -"$pgid" 2>/dev/null', 'tempa-watchdog'], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  dog.on('error', () => undefined); // no /bin/sh: the exit handler and the next run's sweep still end the group
  dog.stdin?.on('error', () => undefined); // the watchdog already gone: nothing to tell it
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

/** A guard for the next child's process group; `recordDir`, when given, is where the group is recorded. */
export function startGuard(recordDir: string | undefined): GroupGuard {
  const dog = startWatchdog();
  let record: string | undefined;
  return {
    async watch(pgid) {
      dog?.stdin?.write(`${pgid}\n`);
      if (!recordDir) return;
      record = path.join(recordDir, `${pgid}.json`);
      const body: GroupRecord = { pid: pgid, started: processStart(pgid), owner: currentOwner() };
      // Best effort: without the record only the watchdog guards this group.
      await mkdir(recordDir, { recursive: true })
        .then(() => writeFile(record!, JSON.stringify(body)))
        .catch(() => undefined);
    },
    async release() {
      dog?.kill('SIGKILL');
      if (record) await rm(record, { force: true }).catch(() => undefined); // a stale record is checked against start times
    },
  };
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Ends the groups recorded in `recordDir` whose owner is gone, and waits (up to 5 s) until they
 * are. A group still holds its id while any member lives, and the kernel never hands that id to a
 * new process, so a group whose leader is gone but whose id still exists is the recorded one.
 */
export async function endLeftoverGroups(recordDir: string): Promise<number> {
  let ended = 0;
  for (const name of await readdir(recordDir).catch(() => [] as string[])) {
    const file = path.join(recordDir, name);
    let rec: GroupRecord;
    try {
      rec = JSON.parse(await readFile(file, 'utf8')) as GroupRecord;
    } catch {
      await rm(file, { force: true }).catch(() => undefined); // torn record: its owner died writing it, before the group ran long
      continue;
    }
    if (!ownerIsGone(rec.owner)) continue;
    const leaderIsOurs = isAlive(rec.pid, rec.started);
    const leaderGone = !isAlive(rec.pid);
    if ((leaderIsOurs || leaderGone) && groupExists(rec.pid)) {
      try {
        process.kill(-rec.pid, 'SIGKILL');
        ended++;
      } catch {
        // ended by itself meanwhile
      }
      for (let i = 0; i < 100 && groupExists(rec.pid); i++) await new Promise((r) => setTimeout(r, 50));
    }
    await rm(file, { force: true });
  }
  return ended;
}
