// An inter-process lock that knows its holder: the lock file holds {pid, host, start time, purpose},
// and a holder that died (kill -9, power loss) is detected at once on the same host instead of after a
// timeout. proper-lockfile's mtime heartbeat would call a stage "stale" while a long synchronous
// computation in a stage blocks the event loop, so locks here never expire while their process lives.
import { readFileSync, rmSync } from 'node:fs';
import { link, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { asIoError } from '../errors.ts';
import { currentOwner, ownerIsGone, type ProcessOwner } from '../process-owner.ts';

interface Holder extends ProcessOwner {
  since: string;
  /** What the holder is doing, for the message a waiting run prints. */
  purpose?: string;
}

/** A breaker file older than this belongs to a process that died mid-break. */
const BREAKER_STALE_MS = 10_000;
/** Where hard links are refused, a lock file is written in place; give its writer this long. */
const UNLINKED_GRACE_MS = 2_000;

/** Lock files this process holds, with their exact contents: released even on process.exit(). */
const held = new Map<string, string>();
process.once('exit', () => {
  for (const [file, body] of held) {
    try {
      if (readFileSync(file, 'utf8') === body) rmSync(file, { force: true });
    } catch {
      // already gone; or unreadable, and then the next run takes it over since we are dead
    }
  }
});

let linksWork = true;

/**
 * Creates `file` holding `body`, atomically: written under a temp name and hard-linked into place,
 * so no one ever sees a lock file without its holder. False if the lock exists.
 */
async function tryCreate(file: string, body: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    await writeFile(tmp, body, { flag: 'wx' });
    if (linksWork) {
      try {
        await link(tmp, file);
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
        linksWork = false; // e.g. some network and FUSE file systems: fall back to writing in place
      }
    }
    return await createInPlace(file, body);
  } catch (error) {
    throw asIoError(error, 'create lock file', file);
  } finally {
    await rm(tmp, { force: true }).catch(() => undefined); // a leftover .tmp is harmless; the lock result stands
  }
}

async function createInPlace(file: string, body: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(body);
    await handle.close();
    return true;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(file, { force: true }); // never leave a lock without its holder behind
    throw error;
  }
}

interface Seen {
  raw: string;
  holder?: Holder;
  ino: number;
  mtimeMs: number;
}

/** The lock file as it is now, or undefined if it vanished. */
async function inspect(file: string): Promise<Seen | undefined> {
  try {
    const info = await stat(file);
    const raw = await readFile(file, 'utf8');
    let holder: Holder | undefined;
    try {
      const parsed = JSON.parse(raw) as Holder;
      if (typeof parsed?.pid === 'number' && typeof parsed.host === 'string') holder = parsed;
    } catch {
      holder = undefined; // empty or half-written: a writer died before completing it
    }
    return { raw, holder, ino: info.ino, mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw asIoError(error, 'read lock file', file);
  }
}

/** A lock whose holder is dead, or that was never completed, can be taken over now. */
function isStale(seen: Seen): boolean {
  if (!seen.holder) return linksWork || Date.now() - seen.mtimeMs > UNLINKED_GRACE_MS;
  return ownerIsGone(seen.holder);
}

/** Removes a stale lock under a breaker lock, so two waiters never both break it (and delete a new holder's lock). */
async function breakStale(file: string, seen: Seen): Promise<void> {
  const breaker = `${file}.break`;
  if (!(await tryCreate(breaker, JSON.stringify({ ...currentOwner(), since: new Date().toISOString() })))) {
    const info = await stat(breaker).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > BREAKER_STALE_MS) await rm(breaker, { force: true });
    return;
  }
  try {
    const again = await inspect(file);
    if (again && again.ino === seen.ino && again.raw === seen.raw) await rm(file, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
}

export function describeHolder(holder: Holder | undefined): string {
  if (!holder) return 'a process that has not finished writing the lock';
  const what = holder.purpose ? ` (${holder.purpose})` : '';
  return `pid ${holder.pid} on ${holder.host}${what}, since ${holder.since}`;
}

export interface LockOptions {
  signal?: AbortSignal;
  /** Called once if the lock is busy, with who holds it and for what. */
  onWait?: (holder: string) => void;
  /** Recorded in the lock for whoever has to wait: "stage train of recipes/quickstart.yaml". */
  purpose?: string;
  pollMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Waits for the lock (until `signal` aborts, which throws its reason) and returns its release
 * function. A dead holder's lock, or one whose holder never finished writing it, is taken over at once.
 */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const body = JSON.stringify({ ...currentOwner(), since: new Date().toISOString(), purpose: options.purpose } satisfies Holder);
  let announced = false;
  while (!(await tryCreate(file, body))) {
    const seen = await inspect(file);
    if (!seen) continue;
    if (isStale(seen)) {
      await breakStale(file, seen);
      continue;
    }
    if (!announced) {
      options.onWait?.(describeHolder(seen.holder));
      announced = true;
    }
    options.signal?.throwIfAborted();
    await sleep(options.pollMs ?? 100, options.signal);
    options.signal?.throwIfAborted();
  }
  held.set(file, body);
  return () => release(file, body);
}

/**
 * Removes the lock if it is still ours. Never throws: a lock we fail to remove names our pid, and
 * the next run takes it over as soon as this process has exited.
 */
async function release(file: string, body: string): Promise<void> {
  held.delete(file);
  try {
    if ((await readFile(file, 'utf8')) === body) await rm(file, { force: true });
  } catch {
    // gone already, or the disk refuses: see above
  }
}

/** Runs `fn` holding the lock. The lock is released however `fn` ends, and `fn`'s own error is what throws. */
export async function withLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquireLock(file, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}
