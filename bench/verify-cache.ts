// `node --import tsx bench/verify-cache.ts <store>`: what checking cached results by content hash
// costs on a real store (e.g. the quickstart's): size-only lookups, memoised checks (the default),
// and full re-reads (`status --verify`), per result and in total. Read-only: the memo stays in memory.
import path from 'node:path';
import { FileHasher } from '../engine/cache/hash-files.ts';
import { Store } from '../engine/cache/store.ts';

const root = path.resolve(process.argv[2] ?? '.tempa');
const store = new Store(root);
const keys = await store.listKeys();
const fail = (m: string) => {
  throw new Error(m);
};

async function timeAll(verify?: FileHasher): Promise<number> {
  const start = performance.now();
  for (const key of keys) if (!(await store.lookup(key, fail, verify)).record) fail(`no result for ${key}`);
  return performance.now() - start;
}

const best = async (runs: number, make: () => FileHasher | undefined) => {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeAll(make()));
  return Math.min(...times);
};
await timeAll(new FileHasher()); // warm-up: module loading, JIT, page cache
const sizeOnly = await best(5, () => undefined);
const fullRead = await best(5, () => new FileHasher()); // nothing memoised: every file read and hashed
const memo = new FileHasher();
await timeAll(memo);
const memoised = await best(5, () => memo); // (inode, size, mtime) unchanged: a stat per file
let bytes = 0;
for (const key of keys) {
  const record = (await store.lookup(key, fail))!.record!;
  for (const output of Object.values(record.outputs)) for (const size of Object.values(output.sizes)) bytes += size;
}
const ms = (t: number) => `${t.toFixed(1)} ms`;
process.stdout.write(`${keys.length} results, ${(bytes / 1024 / 1024).toFixed(1)} MiB of outputs in ${root}
best of 5 passes over every result:
  size only (before):                      ${ms(sizeOnly)}
  content hash, memoised (a normal run):   ${ms(memoised)}
  content hash, full read (first check, status --verify): ${ms(fullRead)}
`);
