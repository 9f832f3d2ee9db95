// Content hashes of files and folders, streamed so a 1 GiB dataset never sits in memory, and
// memoised by (inode, size, mtime) so an unchanged file is hashed once (DVC's state DB idea).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { sha256 } from './canonical.ts';

interface MemoEntry {
  ino: number;
  size: number;
  mtimeMs: number;
  hash: string;
}

export interface ArtifactHash {
  hash: string;
  /** Path relative to the artifact root -> sha256 of its bytes. */
  files: Record<string, string>;
}

export class FileHasher {
  private memo = new Map<string, MemoEntry>();
  private dirty = false;
  private readonly memoFile?: string;
  /** Counts for benchmarks and tests: how many files were actually read. */
  readCount = 0;

  constructor(memoFile?: string) {
    this.memoFile = memoFile;
  }

  async load(): Promise<void> {
    if (!this.memoFile) return;
    try {
      const entries = JSON.parse(await readFile(this.memoFile, 'utf8')) as Record<string, MemoEntry>;
      this.memo = new Map(Object.entries(entries));
    } catch {
      this.memo = new Map(); // a missing or torn memo only costs rehashing
    }
  }

  /** Written atomically; concurrent runs may each write theirs, and either is valid. */
  async save(): Promise<void> {
    if (!this.memoFile || !this.dirty) return;
    await mkdir(path.dirname(this.memoFile), { recursive: true });
    await writeFileAtomic(this.memoFile, JSON.stringify(Object.fromEntries(this.memo)));
    this.dirty = false;
  }

  async hashFile(file: string): Promise<string> {
    const info = await stat(file);
    const known = this.memo.get(file);
    if (known && known.ino === info.ino && known.size === info.size && known.mtimeMs === info.mtimeMs) return known.hash;
    const hash = await streamHash(file);
    this.readCount++;
    // A file modified while we read it must not be memoised under the new stat.
    const after = await stat(file);
    if (after.mtimeMs === info.mtimeMs && after.size === info.size) {
      this.memo.set(file, { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, hash });
      this.dirty = true;
    }
    return hash;
  }

  /**
   * Records the hash of a file we just wrote and hashed elsewhere (a committed result), so the next
   * check of it is stat-only until its inode, size or mtime changes.
   */
  async remember(file: string, hash: string): Promise<void> {
    const info = await stat(file);
    this.memo.set(file, { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, hash });
    this.dirty = true;
  }

  /** Hash of a set of files, named relative to `root` so the same content anywhere gives the same hash. */
  async hashArtifact(root: string, files: readonly string[]): Promise<ArtifactHash> {
    const entries: Record<string, string> = {};
    const single = files.length === 1 && files[0] === root;
    for (const file of files) {
      const rel = single ? path.basename(file) : path.relative(root, file).split(path.sep).join('/');
      entries[rel] = await this.hashFile(file);
    }
    const listing = Object.keys(entries)
      .sort()
      .map((rel) => `${entries[rel]}  ${rel}`)
      .join('\n');
    return { hash: sha256(listing), files: entries };
  }
}

function streamHash(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
