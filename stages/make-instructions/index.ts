// make-instructions: writes instruction-tuning data from built-in, seeded task generators (and a fact table
// drawn from the recipe's own corpus), with train and held-out splits that never share an item.
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PipelineError } from '../../engine/errors.ts';
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { defineStage, type StageContext } from '../../engine/stage.ts';
import { readCorpusTexts } from '../shared/data/corpus-text.ts';
import { drawSplits, shuffle } from '../shared/tasks/draw.ts';
import { buildFactTable, factGenerators, type FactTable } from '../shared/tasks/facts.ts';
import { toInstructionRecord } from '../shared/tasks/record.ts';
import { selectTasks, TASKS } from '../shared/tasks/registry.ts';
import type { TaskGenerator, TaskItem } from '../shared/tasks/types.ts';
import { makeInstructionsSchema, type MakeInstructionsParams } from './schema.ts';

const FILES = { train: 'train.jsonl', heldOut: 'held-out.jsonl', prompts: 'prompts.jsonl', stats: 'stats.json' } as const;

/** What stats.json holds. */
export interface InstructionStats {
  difficulty: string;
  requested: { trainPerTask: number; heldOutPerTask: number; promptsPerTask: number };
  train: number;
  heldOut: number;
  prompts: number;
  tasks: Record<string, { train: number; heldOut: number; prompts: number }>;
  factTable?: { words: number; facts: number; corpusBytes: number };
}

export default defineStage({
  name: 'make-instructions',
  version: 3,
  description: 'Generate verifiable instruction data (arithmetic, strings, lists, formats, reasoning, corpus facts) with disjoint train, held-out and RL-prompt splits',
  headline: ['train', 'heldOut', 'prompts'],
  schema: makeInstructionsSchema,
  inputs: () => ({
    corpus: { kind: 'any', optional: true, description: 'JSONL records (or text files) the facts family derives its fact table from' },
  }),
  outputs: () => ({
    train: { kind: 'file', description: `${FILES.train}: {task, instruction, input?, answer, output, messages} per line, shuffled; output is \`Answer: <answer>\`, or the worked solution with \`worked\`` },
    heldOut: { kind: 'file', description: `${FILES.heldOut}: the same fields, grouped by task; no item is also in train` },
    prompts: { kind: 'file', description: `${FILES.prompts}: the same fields, shuffled, promptsPerTask per task (empty by default); in neither train nor held-out, for RL` },
    stats: { kind: 'file', description: `${FILES.stats}: items per task and split` },
  }),
  async run(ctx, params) {
    const difficulty = params.difficulty;
    const selected = selectTasks(params.tasks);
    const generators = selected.flatMap((name) => TASKS[name] ?? []);
    const factNames = selected.filter((name) => TASKS[name] === undefined);
    let factTable: FactTable | undefined;
    let corpusBytes = 0;
    if (factNames.length > 0) {
      const loaded = await loadFacts(ctx, params, factNames);
      if (loaded !== undefined) {
        ({ table: factTable, bytes: corpusBytes } = loaded);
        const available = factGenerators(factTable);
        for (const name of factNames) {
          const generator = available.find((g) => g.name === name);
          if (generator === undefined) ctx.log.warn(`skipping ${name}: the fact table (${factTable.subjects.length} words) cannot support it`);
          else generators.push(generator);
        }
      }
    }

    const stats: InstructionStats = {
      difficulty,
      requested: { trainPerTask: params.trainPerTask, heldOutPerTask: params.heldOutPerTask, promptsPerTask: params.promptsPerTask },
      train: 0,
      heldOut: 0,
      prompts: 0,
      tasks: {},
      ...(factTable === undefined ? {} : { factTable: { words: factTable.subjects.length, facts: factTable.facts.length, corpusBytes } }),
    };
    const train: TaskItem[] = [];
    const heldOut: TaskItem[] = [];
    const prompts: TaskItem[] = [];
    let shortTasks = 0;
    for (const [i, generator] of generators.entries()) {
      ctx.signal.throwIfAborted();
      const random = seededRandom(deriveSeed(ctx.seed, generator.name));
      const drawn = drawSplits(generator, random, difficulty, { heldOut: params.heldOutPerTask, train: params.trainPerTask, prompts: params.promptsPerTask });
      if (drawn.heldOut.length < params.heldOutPerTask || drawn.train.length < params.trainPerTask || drawn.prompts.length < params.promptsPerTask) {
        shortTasks += 1;
        const rl = params.promptsPerTask > 0 ? `, ${drawn.prompts.length}/${params.promptsPerTask} prompts` : '';
        ctx.log.warn(
          `${generator.name}: only ${drawn.heldOut.length + drawn.train.length + drawn.prompts.length} distinct items at difficulty ${difficulty}: ` +
            `${drawn.heldOut.length}/${params.heldOutPerTask} held-out, ${drawn.train.length}/${params.trainPerTask} train${rl}`,
        );
      }
      heldOut.push(...drawn.heldOut);
      train.push(...drawn.train);
      prompts.push(...drawn.prompts);
      stats.tasks[generator.name] = { train: drawn.train.length, heldOut: drawn.heldOut.length, prompts: drawn.prompts.length };
      ctx.progress({ step: i + 1, total: generators.length });
    }
    // Train is shuffled so a reader taking a prefix still sees every task; held-out stays grouped for per-task scores.
    shuffle(train, seededRandom(deriveSeed(ctx.seed, 'shuffle')));
    shuffle(prompts, seededRandom(deriveSeed(ctx.seed, 'shuffle prompts')));
    stats.train = train.length;
    stats.heldOut = heldOut.length;
    stats.prompts = prompts.length;

    await writeJsonl(join(ctx.outDir, FILES.train), train, params.worked);
    await writeJsonl(join(ctx.outDir, FILES.heldOut), heldOut, params.worked);
    await writeJsonl(join(ctx.outDir, FILES.prompts), prompts, params.worked);
    await writeFile(join(ctx.outDir, FILES.stats), `${JSON.stringify(stats, null, 2)}\n`);
    ctx.log.info(`${generators.length} tasks at difficulty ${difficulty}: ${train.length} train and ${heldOut.length} held-out items`);
    return {
      metrics: { train: train.length, heldOut: heldOut.length, prompts: prompts.length, tasks: generators.length, shortTasks },
      artifacts: { train: FILES.train, heldOut: FILES.heldOut, prompts: FILES.prompts, stats: FILES.stats },
    };
  },
});

/** The fact table from the `corpus` input, or undefined (logged) when none is bound and facts were not asked for by name. */
async function loadFacts(ctx: StageContext, params: MakeInstructionsParams, factNames: string[]): Promise<{ table: FactTable; bytes: number } | undefined> {
  const corpus = ctx.inputs.corpus;
  if (corpus === undefined) {
    if (params.tasks !== undefined) {
      throw new PipelineError('RECIPE_INVALID', `tasks ${factNames.join(', ')} need a \`corpus\` input to build their fact table`, {
        hint: 'bind one, e.g. `inputs: { corpus: corpus.records }`, or drop the facts tasks from `tasks`',
      });
    }
    ctx.log.info('no `corpus` input: skipping the facts family');
    return undefined;
  }
  const texts: string[] = [];
  const read = { bytes: 0, capped: false };
  const options = { textField: params.textField, maxBytes: params.maxCorpusBytes, signal: ctx.signal, displayName: (f: string) => relative(ctx.recipeDir, f) };
  for await (const text of readCorpusTexts(corpus.files, options, read)) texts.push(text);
  const table = buildFactTable(texts, seededRandom(deriveSeed(ctx.seed, 'facts')), { maxWords: params.factWords });
  const capped = read.capped ? ` (capped at maxCorpusBytes ${params.maxCorpusBytes})` : '';
  ctx.log.info(`fact table: ${table.subjects.length} words, ${table.facts.length} facts from ${read.bytes} bytes of corpus${capped}`);
  return { table, bytes: read.bytes };
}

async function writeJsonl(file: string, items: readonly TaskItem[], worked: boolean): Promise<void> {
  await writeFile(file, items.map((item) => `${JSON.stringify(toInstructionRecord(item, { worked }))}\n`).join(''));
}
