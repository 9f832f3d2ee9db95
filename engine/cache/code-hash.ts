// Hashes a plugin's code: its module file plus every local module it imports, transitively,
// so editing a helper of a stage reruns that stage. Packages in node_modules enter by name@version.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from './canonical.ts';

const LOCAL_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
const memo = new Map<string, Promise<string>>();
// Per file, for memoised graphs only: the built-in stages share most of their helpers, and each file
// is read and hashed once per process instead of once per stage that imports it.
const fileMemo = new Map<string, Promise<ScannedFile>>();

interface ScannedFile {
  hash: string;
  imports: string[];
}

/**
 * sha256 over (path relative to `root`, content hash) of the module and its local imports.
 * `memoise` only for code that cannot change while the process runs (the built-in stages).
 */
export function hashModuleGraph(entry: string, root: string, memoise = false): Promise<string> {
  if (!memoise) return computeGraphHash(entry, root, scanFile);
  const id = `${root}\u0000${entry}`;
  let hash = memo.get(id);
  if (!hash) {
    hash = computeGraphHash(entry, root, scanFileMemoised);
    memo.set(id, hash);
  }
  return hash;
}

/** Forget memoised hashes (watch mode: a plugin file changed). */
export function clearCodeHashes(): void {
  memo.clear();
  fileMemo.clear();
}

async function scanFile(file: string): Promise<ScannedFile> {
  const source = await readFile(file, 'utf8');
  return { hash: sha256(source), imports: [...source.matchAll(LOCAL_IMPORT)].map((match) => path.resolve(path.dirname(file), match[2]!)) };
}

function scanFileMemoised(file: string): Promise<ScannedFile> {
  let scanned = fileMemo.get(file);
  if (!scanned) {
    scanned = scanFile(file);
    fileMemo.set(file, scanned);
    scanned.catch(() => fileMemo.delete(file));
  }
  return scanned;
}

/** The files hashModuleGraph hashes for `entry`: the module and every local module it imports, transitively. */
export async function moduleGraphFiles(entry: string): Promise<string[]> {
  return [...(await scanGraph(entry, scanFile)).keys()].sort();
}

async function computeGraphHash(entry: string, root: string, scan: (file: string) => Promise<ScannedFile>): Promise<string> {
  const seen = await scanGraph(entry, scan);
  const lines = [...seen]
    .map(([file, hash]) => `${path.relative(root, file).split(path.sep).join('/')} ${hash}`)
    .sort();
  return sha256(lines.join('\n'));
}

/** File -> content hash of the module graph from `entry`. */
async function scanGraph(entry: string, scan: (file: string) => Promise<ScannedFile>): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const queue = [path.resolve(entry)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    const { hash, imports } = await scan(file);
    seen.set(file, hash);
    for (const target of imports) if (!seen.has(target)) queue.push(target);
  }
  return seen;
}
