// What a cluster job keeps in the bucket while it runs, since the node shares nothing else with the
// submitter: its log (read back and shown as it grows) and its checkpoint folder (what a resubmitted
// job, maybe on another node, resumes from). Checkpoint files are blobs by sha256; the manifest goes last.
import { appendFileSync, linkSync, mkdirSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileHasher } from '../cache/hash-files.ts';
import type { S3Objects } from '../remote/s3-objects.ts';

/**
 * The job's log in the bucket: the runner's own notes, then the stage's log file, then notes after the
 * stage, re-uploaded when it grew. It only ever grows (the submitter shows what is new by offset), so
 * notes made while the stage runs go into the stage's log file.
 */
export class JobLog {
  private readonly objects: S3Objects;
  private readonly name: string;
  private file: string;
  private phase: 'before' | 'during' | 'after' = 'before';
  private readonly before: string[] = [];
  private readonly after: string[] = [];
  private stage = '';
  private sent = '';
  private chain: Promise<void> = Promise.resolve();

  constructor(objects: S3Objects, name: string, file: string) {
    this.objects = objects;
    this.name = name;
    this.file = file;
  }

  note(line: string): void {
    if (this.phase === 'during') {
      try {
        appendFileSync(this.file, `${line}\n`);
        return;
      } catch {
        // the stage has not created its log yet: the note goes before it
      }
    }
    (this.phase === 'after' ? this.after : this.before).push(line);
  }

  /** The stage runs from now on. */
  running(): void {
    this.phase = 'during';
  }

  /** The stage is over; its log is final (committed at `file`, or deleted with a failed stage's folder: the last one read stands). */
  finished(file?: string): void {
    if (file) this.file = file;
    this.phase = 'after';
  }

  /** Uploads the log if it changed since the last upload; flushes never overlap, and never reject (the log is for people, not the result). */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.flushNow().catch(() => undefined));
    return this.chain;
  }

  private async flushNow(): Promise<void> {
    this.stage = (await readFile(this.file, 'utf8').catch(() => '')) || this.stage;
    // The stage's text as it is, a last line maybe half written: the submitter shows only whole lines.
    const lines = (notes: string[]) => notes.map((line) => `${line}\n`).join('');
    const tail = this.after.length ? `${this.stage && !this.stage.endsWith('\n') ? '\n' : ''}${lines(this.after)}` : '';
    const text = lines(this.before) + this.stage + tail;
    if (text === this.sent) return;
    await this.objects.putBytes(this.name, Buffer.from(text), 'text/plain');
    this.sent = text;
  }
}

interface Listing {
  text: string;
  files: string[];
}

/**
 * Every file under `dir` with its size and mtime: what tells whether a checkpoint changed, or is changing.
 * Synchronous on purpose: the stage runs on this event loop, and an asynchronous listing would let it swap
 * checkpoints half-way through one.
 */
function listing(dir: string): Listing {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return { text: '', files: [] };
  }
  const files = entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
  const stats = files.map((rel) => {
    try {
      const s = statSync(path.join(dir, rel));
      return `${rel} ${s.size} ${s.mtimeMs}`;
    } catch {
      return `${rel} gone`;
    }
  });
  return { text: stats.join('\n'), files };
}

interface CheckpointManifest {
  files: Record<string, { sha256: string; size: number }>;
}

export class CheckpointSync {
  private readonly objects: S3Objects;
  private readonly name: string;
  private readonly dir: string;
  private last = '';
  private readonly present = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(objects: S3Objects, name: string, dir: string) {
    this.objects = objects;
    this.name = name;
    this.dir = dir;
  }

  /** Replaces the local checkpoint folder with the bucket's snapshot; the number of files it had (0: none). */
  async pull(): Promise<number> {
    const bytes = await this.objects.getBytes(this.name);
    if (!bytes) return 0;
    const manifest = JSON.parse(bytes.toString('utf8')) as CheckpointManifest;
    await rm(this.dir, { recursive: true, force: true });
    for (const [rel, { sha256, size }] of Object.entries(manifest.files)) {
      await this.objects.download(this.blob(sha256), path.join(this.dir, rel), sha256, size);
      this.present.add(sha256);
    }
    this.last = listing(this.dir).text;
    return Object.keys(manifest.files).length;
  }

  /** Empties the bucket's snapshot (objects are not deleted: a reader may be fetching them). */
  clear(): Promise<void> {
    // After any push still under way, or that push would put the snapshot back.
    const cleared = this.chain.then(() => this.objects.putBytes(this.name, Buffer.from(JSON.stringify({ files: {} } satisfies CheckpointManifest)), 'application/json'));
    this.chain = cleared.catch(() => undefined);
    return cleared;
  }

  /** Uploads the folder when it changed and held still while it was read and sent; pushes never overlap, and never reject. */
  push(): Promise<void> {
    this.chain = this.chain.then(() => this.pushNow().catch((error: unknown) => this.onError?.(error)));
    return this.chain;
  }

  onError?: (error: unknown) => void;

  /** Apart from result blobs: a file rewritten mid-upload may leave a blob that does not match its name, and no result may ever find it. */
  private blob(sha256: string): string {
    return `${this.name.replace(/\.json$/, '')}/${sha256}`;
  }

  private async pushNow(): Promise<void> {
    // Uploads read hard links to the files as listed, not the files by name: a stage swaps checkpoints
    // (new files, renames, deletes) faster than they upload, and a name may point elsewhere mid-upload.
    // Listing, linking and listing again happen in one synchronous stretch, between two steps of the stage.
    const snapshot = `${this.dir}.upload`;
    await rm(snapshot, { recursive: true, force: true });
    const before = listing(this.dir);
    if (!before.files.length || before.text === this.last) return;
    try {
      for (const rel of before.files) {
        mkdirSync(path.dirname(path.join(snapshot, rel)), { recursive: true });
        linkSync(path.join(this.dir, rel), path.join(snapshot, rel));
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // a file went while it was linked: the stage is swapping checkpoints
      throw error;
    }
    try {
      // Written to while it was linked: a torn snapshot is worse than an older one; the next push takes the new one.
      if (listing(this.dir).text !== before.text) return;
      const hasher = new FileHasher();
      const files: CheckpointManifest['files'] = {};
      for (const rel of before.files) files[rel] = { sha256: await hasher.hashFile(path.join(snapshot, rel)), size: (await stat(path.join(snapshot, rel))).size };
      const sent: string[] = [];
      for (const rel of before.files) {
        const { sha256, size } = files[rel]!;
        if (this.present.has(sha256)) continue;
        await this.objects.putFile(this.blob(sha256), path.join(snapshot, rel), size);
        sent.push(sha256);
      }
      // A file still being written when it was linked has grown since: then this snapshot is not one.
      if (listing(snapshot).text !== before.text) return;
      for (const sha256 of sent) this.present.add(sha256);
      await this.objects.putBytes(this.name, Buffer.from(JSON.stringify({ files } satisfies CheckpointManifest)), 'application/json');
      this.last = before.text;
    } finally {
      await rm(snapshot, { recursive: true, force: true });
    }
  }
}
