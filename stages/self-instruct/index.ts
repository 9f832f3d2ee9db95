// `uses: self-instruct` — instruction data written by a model (Self-Instruct, Wang et al. 2022): seed
// tasks prompt the model to write new instructions, the same model answers them in the chat template,
// and filters keep the good rows: lengths, n-gram overlap with every seed and kept row, and, when an
// instruction has the shape of a built-in task, the task's verifier on the answer. Each row says where
// it came from. Nothing is downloaded: seeds are the recipe's own files or make-instructions output.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../engine/errors.ts';
import { deriveSeed, seededRandom } from '../../engine/rng.ts';
import { defineStage } from '../../engine/stage.ts';
import { readChatRows, type ChatRow } from '../shared/chat/rows.ts';
import type { LanguageModel } from '../shared/model/language-model.ts';
import { loadModel } from '../shared/model/model-io.ts';
import { openModel } from '../shared/model/open-model.ts';
import { promptOf } from '../shared/tasks/record.ts';
import { verifyAnswer } from '../shared/tasks/registry.ts';
import { solveInstruction } from '../shared/tasks/solve.ts';
import { BOS_ID, SPECIAL_TOKENS, USER_ID } from '../shared/tokenizer/special-tokens.ts';
import { fewShotPrompt, parseContinuation, parseUserTurn, type Instruction } from './few-shot.ts';
import { NgramIndex } from './ngram-index.ts';
import { selfInstructSchema } from './schema.ts';
import { backendInfo } from '../shared/backend/tf.ts';

const FILES = { rows: 'rows.jsonl', stats: 'stats.json' } as const;
const REJECT_REASONS = ['unreadable', 'instruction-length', 'input-length', 'near-duplicate', 'response-length', 'wrong-answer', 'unverifiable'] as const;
type RejectReason = (typeof REJECT_REASONS)[number];
const EXAMPLES_PER_REASON = 5;
const SPECIAL_IDS = SPECIAL_TOKENS.map((_, id) => id);

interface Demo extends Instruction {
  /** `seed:<n>` or `generated:<n>`, for provenance. */
  id: string;
}

export interface SelfInstructRow {
  instruction: string;
  input?: string;
  output: string;
  task?: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
  provenance: {
    method: 'self-instruct';
    model: { stage: string; hash: string };
    /** The model that wrote the instruction, when not `model`. */
    writer?: { stage: string; hash: string };
    seed: number;
    round: number;
    demos: string[];
    similarity: number;
    verified: boolean;
    reference?: string;
  };
}

/** A seed row's instruction: Alpaca fields when present, else the first user turn. */
function seedInstruction(chat: ChatRow): Instruction | undefined {
  const { instruction, input } = chat.row;
  if (typeof instruction === 'string' && instruction.trim() !== '') {
    return typeof input === 'string' && input.trim() !== '' ? { instruction, input } : { instruction };
  }
  const user = chat.turns.find((t) => t.role === 'user');
  return user === undefined ? undefined : { instruction: user.content };
}

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

export default defineStage({
  name: 'self-instruct',
  version: 1,
  description: 'Instruction rows written and answered by a model from seed tasks, kept by length, n-gram overlap and verifier filters, with provenance per row.',
  schema: selfInstructSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'the model that answers the instructions, and writes them unless `writer` is bound (any model folder)' },
    writer: {
      kind: 'dir',
      optional: true,
      description: 'a model that writes the instructions instead: a pre-trained model continues the few-shot list better than a tuned one that learnt to answer',
    },
    seeds: { kind: 'any', description: 'JSONL seed tasks: Alpaca `instruction`/`input`, chat `messages` or `prompt` rows' },
  }),
  outputs: () => ({
    rows: { kind: 'file', description: `${FILES.rows}: kept rows, Alpaca fields + chat messages + provenance` },
    stats: { kind: 'file', description: `${FILES.stats}: candidates, kept, and rejections per filter with examples` },
  }),
  async run(ctx, p) {
    const f = p.filters;
    const { tf, backend, model } = await openModel(ctx);
    const writer = ctx.inputs.writer ? await loadModel(tf, ctx.inputs.writer.path) : model;
    try {
      const read = await readChatRows(ctx.inputs.seeds!.files, {
        onMalformed: p.onMalformed,
        signal: ctx.signal,
        displayName: (file) => path.relative(ctx.recipeDir, file),
      });
      const seeds: Demo[] = read.rows.flatMap((row, i) => {
        const s = seedInstruction(row);
        return s === undefined ? [] : [{ ...s, id: `seed:${i}` }];
      });
      // A demo must leave room for <|eos|> and the new instruction within the model's context.
      const budget = writer.config.blockSize - p.instructionSampling.maxTokens - 1;
      const fits = (demos: readonly Instruction[]) => writer.tokenizer.encode(fewShotPrompt(demos)).length <= budget;
      const seedPool = seeds.filter((s) => fits([s]));
      const fewShot = p.writerPrompt === 'few-shot';
      if (fewShot && seedPool.length === 0) throw noUsableSeeds(seeds.length, writer.config.blockSize, p.instructionSampling.maxTokens);
      if (fewShot && seedPool.length < seeds.length) ctx.log.warn(`${seeds.length - seedPool.length} of ${seeds.length} seeds are too long for a ${writer.config.blockSize}-token context and are not used as demos`);

      const seen = new NgramIndex(f.ngram);
      for (const s of seeds) seen.add(promptOf(s));
      const generatedPool: Demo[] = [];
      const kept: SelfInstructRow[] = [];
      const rejected = Object.fromEntries(REJECT_REASONS.map((r) => [r, { count: 0, examples: [] as unknown[] }])) as Record<RejectReason, { count: number; examples: unknown[] }>;
      const reject = (reason: RejectReason, example: unknown) => {
        const r = rejected[reason];
        r.count += 1;
        if (r.examples.length < EXAMPLES_PER_REASON) r.examples.push(example);
      };

      let candidates = 0;
      /** Written after the last needed row was kept, so never judged. */
      let unused = 0;
      let round = 0;
      while (kept.length < p.rows && candidates < p.maxCandidates) {
        ctx.signal.throwIfAborted();
        const random = seededRandom(deriveSeed(ctx.seed, `demos ${round}`));
        const n = Math.min(p.batch, p.maxCandidates - candidates);
        const written =
          p.writerPrompt === 'chat'
            ? writeUserTurns(writer, n, p.instructionSampling, deriveSeed(ctx.seed, `write ${round}`))
            : writeFewShot(writer, Array.from({ length: n }, () => pickDemos(random, seedPool, generatedPool, p.demos, p.seedFraction, fits)), p.instructionSampling, deriveSeed(ctx.seed, `write ${round}`));
        candidates += n;

        const survivors: { instruction: Instruction; demos: Demo[] }[] = [];
        for (const { text, instruction, demos } of written) {
          if (instruction === undefined) {
            reject('unreadable', text);
            continue;
          }
          const words = wordCount(instruction.instruction);
          if (words < f.minInstructionWords || words > f.maxInstructionWords) reject('instruction-length', instruction);
          else if ((instruction.input?.length ?? 0) > f.maxInputChars) reject('input-length', instruction);
          else if (seen.maxSimilarity(promptOf(instruction)) >= f.maxOverlap) reject('near-duplicate', instruction);
          else survivors.push({ instruction, demos });
        }

        const turns = survivors.map((s) => [{ role: 'user' as const, content: promptOf(s.instruction) }]);
        const responses = model.answer(turns, p.responseSampling, deriveSeed(ctx.seed, `answer ${round}`));
        survivors.forEach(({ instruction, demos }, i) => {
          if (kept.length >= p.rows) {
            unused += 1;
            return;
          }
          const output = responses[i]!.trim();
          if (output === '' || output.length > f.maxResponseChars) return reject('response-length', { ...instruction, output });
          const solved = f.verify === 'off' ? undefined : solveInstruction(instruction.instruction, instruction.input);
          if (solved !== undefined && !verifyAnswer(solved, output).correct) return reject('wrong-answer', { ...instruction, output, reference: solved.answer });
          if (solved === undefined && f.verify === 'required') return reject('unverifiable', { ...instruction, output });
          // Rows kept earlier in this round count too.
          const similarity = seen.maxSimilarity(promptOf(instruction));
          if (similarity >= f.maxOverlap) return reject('near-duplicate', instruction);
          seen.add(promptOf(instruction));
          const id = `generated:${kept.length}`;
          if (fits([instruction])) generatedPool.push({ ...instruction, id });
          kept.push({
            ...instruction,
            output,
            ...(solved ? { task: solved.task } : {}),
            messages: [
              { role: 'user', content: promptOf(instruction) },
              { role: 'assistant', content: output },
            ],
            provenance: {
              method: 'self-instruct',
              model: { stage: ctx.inputs.model!.from?.stage ?? 'dataset', hash: ctx.inputs.model!.hash },
              writer: ctx.inputs.writer ? { stage: ctx.inputs.writer.from?.stage ?? 'dataset', hash: ctx.inputs.writer.hash } : undefined,
              seed: ctx.seed,
              round,
              demos: demos.map((d) => d.id),
              similarity: Number(similarity.toFixed(4)),
              verified: solved !== undefined,
              ...(solved ? { reference: solved.answer } : {}),
            },
          });
        });
        ctx.progress({ step: Math.min(kept.length, p.rows), total: p.rows, metrics: { candidates, kept: kept.length } });
        round += 1;
      }

      const verified = kept.filter((r) => r.provenance.verified).length;
      ctx.log.info(`kept ${kept.length} of ${candidates} written instructions (${verified} verified by a task checker) in ${round} rounds`);
      for (const reason of REJECT_REASONS) if (rejected[reason].count > 0) ctx.log.info(`  rejected ${reason}: ${rejected[reason].count}`);
      if (kept.length < p.rows) ctx.log.warn(`only ${kept.length} of ${p.rows} rows after ${candidates} candidates (maxCandidates)`);
      for (const row of kept.slice(0, 3)) ctx.log.info(`example: ${JSON.stringify(promptOf(row))} -> ${JSON.stringify(row.output)}`);

      await writeFile(path.join(ctx.outDir, FILES.rows), kept.map((r) => JSON.stringify(r)).join('\n') + (kept.length > 0 ? '\n' : ''));
      const stats = { seeds: seeds.length, seedsSkipped: read.skipped, candidates, kept: kept.length, unused, verified, rounds: round, rejected };
      await writeFile(path.join(ctx.outDir, FILES.stats), `${JSON.stringify(stats, null, 2)}\n`);
      return {
        metrics: { kept: kept.length, candidates, verified, keptFraction: candidates === 0 ? 0 : kept.length / candidates },
        artifacts: { rows: FILES.rows, stats: FILES.stats },
        info: backendInfo(backend),
      };
    } finally {
      model.dispose();
      if (writer !== model) writer.dispose();
    }
  },
});

type Writer = LanguageModel;
type WriterSampling = { maxTokens: number; temperature: number; topK: number; topP: number };
interface Written {
  text: string;
  instruction: Instruction | undefined;
  demos: Demo[];
}

/** Few-shot continuation in plain text; a special token ends the instruction (a chat model may close it with <|end|>). */
function writeFewShot(writer: Writer, prompts: Demo[][], sampling: WriterSampling, seed: number): Written[] {
  const samples = writer.sampleTexts(prompts.map((d) => fewShotPrompt(d)), { ...sampling, stopTokens: SPECIAL_IDS }, seed);
  return samples.map((sample, i) => ({ text: sample.completion, instruction: parseContinuation(sample.completion), demos: prompts[i]! }));
}

/** A user turn sampled after `<|bos|><|user|>`: for writers tuned with `lossOn: all`, which learnt what users ask. */
function writeUserTurns(writer: Writer, count: number, sampling: WriterSampling, seed: number): Written[] {
  const prompts = Array.from({ length: count }, () => [BOS_ID, USER_ID]);
  const out = writer.generate(prompts, { ...sampling, stopTokens: SPECIAL_IDS }, seededRandom(seed));
  return out.tokens.map((ids) => {
    const text = writer.tokenizer.decode(ids.filter((id) => id >= SPECIAL_IDS.length));
    return { text, instruction: parseUserTurn(text), demos: [] };
  });
}

/**
 * `count` distinct demos, each from the seeds with probability `seedFraction` (always while nothing
 * is generated yet), then as many as fit the context, at least one.
 */
function pickDemos(random: () => number, seeds: readonly Demo[], generated: readonly Demo[], count: number, seedFraction: number, fits: (d: readonly Instruction[]) => boolean): Demo[] {
  const picked: Demo[] = [];
  const wanted = Math.min(count, seeds.length + generated.length);
  for (let tries = 0; picked.length < wanted && tries < wanted * 8; tries++) {
    const pool = generated.length === 0 || random() < seedFraction ? seeds : generated;
    const demo = pool[Math.floor(random() * pool.length)]!;
    if (!picked.includes(demo)) picked.push(demo);
  }
  while (picked.length > 1 && !fits(picked)) picked.pop();
  return picked;
}

function noUsableSeeds(seeds: number, blockSize: number, maxTokens: number): PipelineError {
  return new PipelineError(
    'DATA_INVALID',
    seeds === 0 ? 'self-instruct found no seed instructions' : `none of the ${seeds} seed instructions fits a ${blockSize}-token context with ${maxTokens} tokens left to write`,
    { hint: seeds === 0 ? 'bind `seeds` to JSONL rows with `instruction`, `messages` or `prompt`' : 'use shorter seeds, a model with a larger blockSize, or a smaller instructionSampling.maxTokens' },
  );
}
