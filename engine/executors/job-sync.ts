// What a cluster job keeps in the bucket while it runs, since the node shares nothing else with the
// submitter: its log (read back and shown as it grows) and its checkpoint folder (what a resubmitted
// job, maybe on another node, resumes from). Checkpoint files are blobs by sha256; the manifest goes last.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileHasher } from '../cache/hash-files.ts';
import type { S3Objects } from '../remote/s3-objects.ts';

/** The job's log in the bucket: the runner's own notes around the stage's log file, re-uploaded when it grew. */
export class JobLog {
  private readonly objects: S3Objects;
  private readonly name: string;
  private file: string;
  private readonly before: string[] = [];
  private readonly after: string[] = [];
  private started = false;
  private stage = '';
  private sent = '';
  private chain: Promise<void> = Promise.resolve();

  constructor(objects: S3Objects, name: string, file: string) {
    this.objects = objects;
    this.name = name;
    this.file = file;
  }

  /** A line of the runner's own: before the stage's output until the stage has written some, after it once it has. */
  note(line: string): void {
    (this.started ? this.after : this.before).push(line);
  }

  follow(file: string): void {
    this.file = file;
  }

  /** Uploads the log if it changed since the last upload; flushes never overlap, and never reject (the log is for people, not the result). */
  flush(): Promise<void> {
    this.chain = this.chain.then(() => this.flushNow().catch(() => undefined));
    return this.chain;
  }

  private async flushNow(): Promise<void> {
    // A failed stage's log is deleted with its temp folder: the last one read stands.
    this.stage = (await readFile(this.file, 'utf8').catch(() => '')) || this.stage;
    if (this.stage) this.started = true;
    const text = [...this.before, this.stage.trimEnd(), ...this.after].filter(Boolean).join('\n') + '\n';
    if (text === this.sent) return;
    await this.objects.putBytes(this.name, Buffer.from(text), 'text/plain');
    this.sent = text;
  }
}

interface Listing {
  text: string;
  files: string[];
}

/** Every file under `dir` with its size and mtime: what tells whether a checkpoint changed, or is changing. */
async function listing(dir: string): Promise<Listing> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
  const stats = await Promise.all(files.map((rel) => stat(path.join(dir, rel)).then((s) => `${rel} ${s.size} ${s.mtimeMs}`, () => `${rel} gone`)));
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
    this.last = (await listing(this.dir)).text;
    return Object.keys(manifest.files).length;
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
    const before = await listing(this.dir);
    if (!before.files.length || before.text === this.last) return;
    const hasher = new FileHasher();
    const files: CheckpointManifest['files'] = {};
    try {
      for (const rel of before.files) {
        const file = path.join(this.dir, rel);
        files[rel] = { sha256: await hasher.hashFile(file), size: (await stat(file)).size };
      }
      const sent: string[] = [];
      for (const rel of before.files) {
        const { sha256, size } = files[rel]!;
        if (this.present.has(sha256)) continue;
        await this.objects.putFile(this.blob(sha256), path.join(this.dir, rel), size);
        sent.push(sha256);
      }
      // Written to meanwhile: a torn snapshot is worse than an older one; the next push takes the new one.
      if ((await listing(this.dir)).text !== before.text) return;
      for (const sha256 of sent) this.present.add(sha256);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // a file went while it was read: the stage is swapping checkpoints
      throw error;
    }
    await this.objects.putBytes(this.name, Buffer.from(JSON.stringify({ files } satisfies CheckpointManifest)), 'application/json');
    this.last = before.text;
  }
}
