// A live run pins every key it reads or writes, before it looks the key up, so `tempa gc` running
// at the same time keeps those results (and their logs) although no lock file names them yet.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { currentOwner, ownerIsGone, type ProcessOwner } from '../process-owner.ts';
import { writeFileAtomic } from './atomic-write.ts';

interface PinFile {
  owner: ProcessOwner;
  keys: string[];
}

const pinDir = (storeRoot: string) => path.join(storeRoot, 'live');

export class RunPins {
  private readonly keys = new Set<string>();
  private readonly file: string;
  private written: Promise<void> = Promise.resolve();
  /** The write queued behind the one under way, if any: keys added meanwhile join it instead of queueing their own. */
  private queued?: Promise<void>;

  constructor(storeRoot: string) {
    this.file = path.join(pinDir(storeRoot), `${process.pid}-${Math.random().toString(36).slice(2, 8)}.json`);
  }

  /**
   * Resolves once every key of `keys` is pinned on disk. Writes are chained so the last one holds every
   * key, and keys added while one is under way share the next, so pinning many keys at once costs one write.
   */
  add(...keys: string[]): Promise<void> {
    const fresh = keys.filter((key) => !this.keys.has(key));
    if (!fresh.length) return this.queued ?? this.written;
    for (const key of fresh) this.keys.add(key);
    this.queued ??= this.written = this.written.then(async () => {
      this.queued = undefined; // keys added from now on need a write of their own
      const body: PinFile = { owner: currentOwner(), keys: [...this.keys] };
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, JSON.stringify(body));
    });
    return this.queued;
  }

  async close(): Promise<void> {
    await this.written.catch(() => undefined); // a failed pin write already failed its stage
    await rm(this.file, { force: true }).catch(() => undefined); // a dead owner's pins are dropped by gc
  }
}

/** Keys pinned by runs that still live; pin files of runs that died are removed. */
export async function readPins(storeRoot: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const name of await readdir(pinDir(storeRoot)).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(pinDir(storeRoot), name);
    let pins: PinFile;
    try {
      pins = JSON.parse(await readFile(file, 'utf8')) as PinFile;
    } catch {
      continue; // written atomically, so this is a file that vanished as its run ended
    }
    if (ownerIsGone(pins.owner)) await rm(file, { force: true });
    else for (const key of pins.keys) keys.add(key);
  }
  return keys;
}
