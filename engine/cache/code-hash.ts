// Hashes a plugin's code: its module file plus every local module it imports, transitively,
// so editing a helper of a stage reruns that stage. Packages in node_modules enter by name@version.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from './canonical.ts';

const LOCAL_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
const memo = new Map<string, Promise<string>>();

/**
 * sha256 over (path relative to `root`, content hash) of the module and its local imports.
 * `memoise` only for code that cannot change while the process runs (the built-in stages).
 */
export function hashModuleGraph(entry: string, root: string, memoise = false): Promise<string> {
  if (!memoise) return computeGraphHash(entry, root);
  const id = `${root}\u0000${entry}`;
  let hash = memo.get(id);
  if (!hash) {
    hash = computeGraphHash(entry, root);
    memo.set(id, hash);
  }
  return hash;
}

/** Forget memoised hashes (watch mode: a plugin file changed). */
export function clearCodeHashes(): void {
  memo.clear();
}

async function computeGraphHash(entry: string, root: string): Promise<string> {
  const seen = new Map<string, string>();
  const queue = [path.resolve(entry)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    const source = await readFile(file, 'utf8');
    seen.set(file, sha256(source));
    for (const match of source.matchAll(LOCAL_IMPORT)) {
      const target = path.resolve(path.dirname(file), match[2]!);
      if (!seen.has(target)) queue.push(target);
    }
  }
  const lines = [...seen]
    .map(([file, hash]) => `${path.relative(root, file).split(path.sep).join('/')} ${hash}`)
    .sort();
  return sha256(lines.join('\n'));
}
