// An inter-process lock that knows its holder: the lock file holds {pid, host}, and a holder that
// died (kill -9, power loss) is detected at once on the same host instead of after a timeout.
// proper-lockfile's mtime heartbeat would call a stage "stale" while a long synchronous
// computation in a stage blocks the event loop, so locks here never expire while their process lives.
import { open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';

interface Holder {
  pid: number;
  host: string;
  since: string;
}

const HOST = os.hostname();
/** A breaker file older than this belongs to a process that died mid-break. */
const BREAKER_STALE_MS = 10_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(file: string, body: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(body);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Holder;
  } catch {
    return undefined; // vanished, or being written right now
  }
}

/** Removes the lock if its holder is a dead process on this host, under a breaker lock so two waiters never both break it. */
async function breakIfDead(file: string): Promise<void> {
  const holder = await readHolder(file);
  if (!holder || holder.host !== HOST || isAlive(holder.pid)) return;
  const breaker = `${file}.break`;
  if (!(await tryCreate(breaker, String(process.pid)))) {
    const age = Date.now() - ((await stat(breaker).catch(() => undefined))?.mtimeMs ?? Date.now());
    if (age > BREAKER_STALE_MS) await rm(breaker, { force: true });
    return;
  }
  try {
    const again = await readHolder(file);
    if (again && again.pid === holder.pid && again.since === holder.since) await rm(file, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
}

export interface LockOptions {
  signal?: AbortSignal;
  /** Called once if the lock is busy, with its holder. */
  onWait?: (holder: string) => void;
  pollMs?: number;
}

/** Waits for the lock (forever, or until `signal` aborts) and returns its release function. */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const body = JSON.stringify({ pid: process.pid, host: HOST, since: new Date().toISOString() } satisfies Holder);
  let waited = false;
  while (!(await tryCreate(file, body))) {
    await breakIfDead(file);
    if (!waited) {
      const holder = await readHolder(file);
      if (holder) options.onWait?.(`pid ${holder.pid} on ${holder.host}`);
      waited = true;
    }
    options.signal?.throwIfAborted();
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
  return () => rm(file, { force: true });
}

export async function withLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquireLock(file, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}
