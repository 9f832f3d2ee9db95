// Section 3: hashing a 1 GiB dataset: the first streamed sha256 pass, the (inode, size, mtime) memo
// hit after reloading the memo file, and what that means for `tempa status` end to end.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FileHasher } from '../engine/cache/hash-files.ts';
import { writeRandomText } from './big-file.ts';
import { runTempaOk } from './cli.ts';
import { writeOneStageRecipe } from './recipes.ts';
import { formatMs, onceRow, printTable, STATS_COLUMNS, statsRow, timeOnce, timeRuns } from './timing.ts';

const GIB = 1 << 30;
const STATUS_RUNS = 3;

const mbPerSecond = (bytes: number, ms: number) => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;

async function sizeOf(file: string): Promise<number> {
  const info = await stat(file).catch(() => undefined);
  return info ? info.size : 0;
}

export async function benchHashDataset(dir: string, write: (line: string) => void): Promise<void> {
  const dataFile = path.join(dir, 'big.txt');
  const made = await timeOnce(() => writeRandomText(dataFile, GIB));
  const memoFile = path.join(dir, 'memo', 'hash-memo.json');

  const cold = new FileHasher(memoFile);
  await cold.load();
  const first = await timeOnce(() => cold.hashFile(dataFile));
  const saved = await timeOnce(() => cold.save());

  const warm = new FileHasher(memoFile);
  const loaded = await timeOnce(() => warm.load());
  const second = await timeOnce(() => warm.hashFile(dataFile));
  if (second.value !== first.value) throw new Error('memoised hash differs from the streamed one');

  const recipe = await writeOneStageRecipe(dir, dataFile);
  const storeMemo = path.join(dir, '.tempa', 'hash-memo.json');
  // `tempa status` is repeated: its runs are as cold (or warm) as each other, and repeats tame the noise.
  let memoBefore = 0;
  let said = '';
  const status = () =>
    timeRuns(STATUS_RUNS, async () => {
      memoBefore = await sizeOf(storeMemo);
      said = (await runTempaOk(['status', recipe], dir)).stdout.trim().replace(/\s+/g, ' ');
    });
  const memoNote = () => `memo file ${memoBefore ? `${memoBefore} B` : 'absent'} before the last; says: ${said}`;
  const coldStatus = await status();
  const coldNote = memoNote();
  // Its `wc -c` command is trusted as a user would (`tempa trust`), in a trust file of its own.
  const env = { TEMPA_TRUST_FILE: path.join(dir, 'trust.json') };
  await runTempaOk(['trust', recipe], dir, env);
  const run = await runTempaOk(['run', recipe], dir, env);
  const warmStatus = await status();
  const statusRows = [
    statsRow('CLI: tempa status, no memo yet', coldStatus, coldNote),
    onceRow('CLI: tempa run (hashes, runs wc -c, saves memo)', run.ms, 'one-stage run; its stage is wc -c < big.txt'),
    statsRow('CLI: tempa status after the run (warm memo)', warmStatus, memoNote()),
  ];

  printTable(write, `3. Hashing a 1 GiB dataset (${GIB} bytes of pseudo-random text, written in ${formatMs(made.ms)}, ${mbPerSecond(GIB, made.ms)})`, STATS_COLUMNS, [
    onceRow('FileHasher.hashFile, first pass (streamed sha256)', first.ms, `${mbPerSecond(GIB, first.ms)}; readCount ${cold.readCount}; file likely in page cache`),
    onceRow('FileHasher.save (memo file)', saved.ms),
    onceRow('new FileHasher on same memo: load', loaded.ms),
    onceRow('FileHasher.hashFile, second pass (memo hit)', second.ms, `readCount ${warm.readCount} (0 = not re-read); same hash`),
    ...statusRows,
  ]);
}
