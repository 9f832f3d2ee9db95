// `tempa run` answered without resolving anything when nothing changed since a run of the same command
// found every stage cached: that run recorded what it printed and the stat of every file its answer
// rests on; when each one is as it was, printing the same again is what a full run would do.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { isatty } from 'node:tty';

/** Bump when what a journal means changes: an old one then never matches. */
const JOURNAL_FORMAT = 1;

/**
 * A file changed during the recorded run (after it was read) has a ctime at or after the run's start:
 * such a run is not recorded. The margin covers a file system clock that lags the system's (coarse
 * timestamps, a network server's clock), as git treats a file as racy when its mtime is near the index's.
 */
export const RACY_MS = 2000;

/** (inode, size, mtime, ctime), or null for a file that did not exist. A write, rename, chmod or utimes changes the ctime. */
type Stamp = [number, number, number, number] | null;

interface Journal {
  /** Everything the answer depends on besides files: the build, the command, the environment. */
  command: string;
  files: Record<string, Stamp>;
  /** Folders that must be empty or absent: what would appear there (a killed run's leftovers) a full run would act on. */
  empty: string[];
  output: string;
}

/** What decides the answer besides files. The whole environment goes in: a stage or the trust file may read any of it. */
export interface JournalCommand {
  /** The exact build running (bin/tempa.js: every source as in dist/manifest.json); no journal without one. */
  buildId: string;
  recipeFile: string;
  storeDir: string;
  flags: Record<string, unknown>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function commandId(command: JournalCommand): string {
  const env = Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const flags = Object.entries(command.flags).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
  const tty = [isatty(0), isatty(1)]; // not process.stdin.isTTY: opening stdin costs more than the whole replay
  return sha256(JSON.stringify([JOURNAL_FORMAT, command.buildId, process.version, process.platform, process.arch, process.cwd(), command.recipeFile, command.storeDir, flags, env, tty]));
}

/** One journal per recipe and store, replaced by each recorded run. */
const journalFile = (command: JournalCommand) => path.join(command.storeDir, 'noop', `${sha256(command.recipeFile).slice(0, 24)}.json`);

function stamp(file: string): Stamp {
  const info = statSync(file, { throwIfNoEntry: false });
  return info ? [info.ino, info.size, info.mtimeMs, info.ctimeMs] : null;
}

const sameStamp = (a: Stamp, b: Stamp) => (a === null || b === null ? a === b : a.every((v, i) => v === b[i]));

/** What the recorded no-op printed, if the command and every file are as they were then; else undefined. */
export function replayNoop(command: JournalCommand): string | undefined {
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(journalFile(command), 'utf8')) as Journal;
  } catch {
    return undefined; // none, or torn by a crash: run in full
  }
  if (journal.command !== commandId(command)) return undefined;
  for (const [file, was] of Object.entries(journal.files)) if (!sameStamp(stamp(file), was)) return undefined;
  if (!journal.empty.every(isEmpty)) return undefined;
  return journal.output;
}

function isEmpty(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Records a run in which every stage was cached and nothing was written. `files`: every file its answer
 * read (recipes, datasets, code, trust, lock, store results); `startedAt`: Date.now() before the first
 * was read; `empty`: folders a replay needs empty. Not recorded when a file may have changed since it
 * was read (RACY_MS) or a folder is not empty.
 */
export async function recordNoop(command: JournalCommand, files: readonly string[], output: string, startedAt: number, empty: readonly string[] = []): Promise<boolean> {
  const target = journalFile(command);
  if (!empty.every(isEmpty)) {
    rmSync(target, { force: true });
    return false;
  }
  const stamps: Record<string, Stamp> = {};
  for (const file of [...new Set(files)].sort()) {
    const now = stamp(file);
    if (now && Math.max(now[2], now[3]) >= startedAt - RACY_MS) {
      rmSync(target, { force: true });
      return false;
    }
    stamps[file] = now;
  }
  const journal: Journal = { command: commandId(command), files: stamps, empty: [...empty], output };
  // Loaded here, not at the top: a replay, which never writes, loads this module and nothing else.
  const { writeFileAtomic } = await import('../cache/atomic-write.ts');
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, JSON.stringify(journal));
    return true;
  } catch {
    return false; // a full or read-only disk: the journal only saves the next run time
  }
}

/**
 * The journal's command for `tempa run` with these flags, or undefined where none applies: no build id
 * (TypeScript compiled as it loads, which may differ from any build), a run that would do or print
 * otherwise (--force, --relock, --dry-run, --watch), or a terminal's live view, which shows more than its lines.
 */
export function journalCommand(buildId: string | undefined, recipeFile: string, storeDir: string, flags: { force?: unknown; relock?: boolean; dryRun?: boolean; watch?: boolean; json?: boolean } & Record<string, unknown>): JournalCommand | undefined {
  if (!buildId || flags.force || flags.relock || flags.dryRun || flags.watch) return undefined;
  if (process.stdout.isTTY && !flags.json) return undefined;
  return { buildId, recipeFile, storeDir, flags };
}
