// Generates the benchmark's recipes (and the small data files they read) into a folder: a
// realistic 50-stage pipeline, and a 1,000-stage seeded random DAG for resolution timing.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { seededRandom } from '../engine/rng.ts';

export type Stages = Record<string, Record<string, unknown>>;

const WORDS = ['the', 'whale', 'sea', 'ship', 'captain', 'harpoon', 'deck', 'wind', 'night', 'oil', 'crew', 'sail', 'white', 'deep', 'line'];

function sentence(random: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(' ');
}

/** Four small datasets in four formats, ~20 KB each, so load-data exercises several readers. */
async function writeDataFiles(dir: string, random: () => number): Promise<Record<string, string>> {
  const rows = Array.from({ length: 300 }, (_, i) => ({ id: i, text: sentence(random, 8 + Math.floor(random() * 8)) }));
  const files: Record<string, string> = {
    'data/a.txt': rows.slice(0, 150).map((r) => r.text).join('\n\n'),
    'data/b.txt': rows.slice(150).map((r) => r.text).join('\n\n'),
    'data/c.jsonl': rows.map((r) => JSON.stringify(r)).join('\n'),
    'data/d.csv': ['id,text', ...rows.map((r) => `${r.id},"${r.text}"`)].join('\n'),
  };
  await mkdir(path.join(dir, 'data'), { recursive: true });
  for (const [rel, content] of Object.entries(files)) await writeFile(path.join(dir, rel), `${content}\n`);
  return { a: 'data/a.txt', b: 'data/b.txt', c: 'data/c.jsonl', d: 'data/d.csv' };
}

const exec = (command: string, outputs: Record<string, string>, extra: Record<string, unknown> = {}, env?: Record<string, string>) => ({
  uses: 'exec',
  ...extra,
  with: { command, outputs, ...(env ? { env } : {}) },
});

/**
 * 50 stages:  4 load-data -> 4 split-data -> 4 exec prep -> merge -> 20 exec shards (fan-out)
 *             -> 16 exec chain stages (each reads its shard and the previous link) -> report (fan-in).
 */
export interface PipelineRecipe {
  file: string;
  stageCount: number;
  /** The recipe's stages and datasets as written, for bench/snakefile.ts to translate. */
  stages: Stages;
  datasets: Record<string, string>;
}

export async function writePipelineRecipe(dir: string): Promise<PipelineRecipe> {
  const random = seededRandom(7);
  const datasets = await writeDataFiles(dir, random);
  const stages: Stages = {};
  const names = Object.keys(datasets);
  for (const d of names) {
    stages[`load_${d}`] = { uses: 'load-data', inputs: { source: d } };
    stages[`split_${d}`] = { uses: 'split-data', inputs: { records: `load_${d}.records` }, with: { validFraction: 0.1 } };
    stages[`prep_${d}`] = exec('cat "$TEMPA_INPUT_TRAIN" "$TEMPA_INPUT_VALID" | wc -l > "$TEMPA_OUT/lines.txt"', { lines: 'lines.txt' }, {
      inputs: { train: `split_${d}.train`, valid: `split_${d}.valid` },
    });
  }
  stages.merge = exec(`cat ${names.map((d) => `"$TEMPA_INPUT_${d.toUpperCase()}"`).join(' ')} > "$TEMPA_OUT/all.txt"`, { all: 'all.txt' }, {
    inputs: Object.fromEntries(names.map((d) => [d, `prep_${d}.lines`])),
  });
  const SHARDS = 20;
  const CHAIN = 16;
  for (let j = 0; j < SHARDS; j++) {
    stages[`shard_${j}`] = exec(`{ cat "$TEMPA_INPUT_SRC"; echo "$SHARD"; } > "$TEMPA_OUT/shard.txt"`, { shard: 'shard.txt' }, {
      inputs: { src: 'merge' },
      ...(j % 2 ? { needs: ['merge'] } : {}), // redundant with the input; recipes often say it anyway
    }, { SHARD: String(j) });
  }
  for (let k = 0; k < CHAIN; k++) {
    const inputs: Record<string, string> = { shard: `shard_${k}` };
    if (k > 0 && k % 4) inputs.prev = `chain_${k - 1}.sum`;
    const needs = k > 0 && k % 4 === 0 ? { needs: [`chain_${k - 1}`] } : {}; // an ordering-only edge
    const prev = 'prev' in inputs ? ' "$TEMPA_INPUT_PREV"' : '';
    stages[`chain_${k}`] = exec(`cat "$TEMPA_INPUT_SHARD"${prev} | cksum > "$TEMPA_OUT/sum.txt"`, { sum: 'sum.txt' }, { inputs, ...needs });
  }
  stages.report = exec('cat "$TEMPA_INPUT_LAST" > "$TEMPA_OUT/report.txt"', { report: 'report.txt' }, {
    inputs: { last: `chain_${CHAIN - 1}.sum` },
    needs: Array.from({ length: SHARDS - CHAIN }, (_, i) => `shard_${CHAIN + i}`),
  });
  const file = path.join(dir, 'pipeline.yaml');
  await writeFile(file, stringify({ name: 'bench-pipeline', seed: 1337, concurrency: 2, datasets, stages }, { lineWidth: 0 }));
  return { file, stageCount: Object.keys(stages).length, stages, datasets };
}

/** `count` exec stages; each has 0–3 seeded random edges to earlier stages, a third of them as data inputs. */
export async function writeDagRecipe(dir: string, count: number): Promise<{ file: string; edges: number }> {
  const random = seededRandom(42);
  const name = (i: number) => `s${String(i).padStart(4, '0')}`;
  const stages: Stages = {};
  let edges = 0;
  for (let i = 0; i < count; i++) {
    const ups = new Set<number>();
    const want = i === 0 ? 0 : Math.floor(random() * 4);
    for (let t = 0; t < want; t++) {
      // Half the edges reach back at most 20 stages (local chains), half anywhere earlier (long edges).
      const up = random() < 0.5 ? Math.max(0, i - 1 - Math.floor(random() * 20)) : Math.floor(random() * i);
      ups.add(up);
    }
    const [first, ...rest] = [...ups].map(name);
    const stage: Record<string, unknown> = { uses: 'exec', with: { command: `echo ${i} > "$TEMPA_OUT/o.txt"`, outputs: { o: 'o.txt' } } };
    if (first && i % 3 === 0) {
      stage.inputs = { up: `${first}.o` };
      if (rest.length) stage.needs = rest;
    } else if (first) stage.needs = [first, ...rest];
    edges += ups.size;
    stages[name(i)] = stage;
  }
  const file = path.join(dir, 'dag.yaml');
  await writeFile(file, stringify({ name: 'bench-dag', stages }, { lineWidth: 0 }));
  return { file, edges };
}

/** One exec stage reading one dataset: what `tempa status` on a big file walks. */
export async function writeOneStageRecipe(dir: string, dataFile: string): Promise<string> {
  const file = path.join(dir, 'one.yaml');
  const stages = { count: exec('wc -c < "$TEMPA_INPUT_SRC" > "$TEMPA_OUT/n.txt"', { n: 'n.txt' }, { inputs: { src: 'big' } }) };
  await writeFile(file, stringify({ name: 'bench-big', datasets: { big: dataFile }, stages }, { lineWidth: 0 }));
  return file;
}
