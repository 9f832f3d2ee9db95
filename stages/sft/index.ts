// `uses: sft` — supervised fine-tuning on chat conversations: the pretrain loop on batches whose loss
// counts only the assistant's tokens, then held-out task accuracy from greedy chat answers.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../engine/errors.ts';
import { defineStage } from '../../engine/stage.ts';
import { saveModel } from '../shared/model/model-io.ts';
import { openModel } from '../shared/model/open-model.ts';
import { writeCurve } from '../shared/train/curve.ts';
import { trainLoop } from '../shared/train/loop.ts';
import { nextTokenTrainee } from '../shared/train/next-token.ts';
import { readChatRows, type ChatRow } from '../shared/chat/rows.ts';
import { evaluateTasks } from '../shared/eval/task-accuracy.ts';
import { sftSchema } from './schema.ts';
import { buildExamples, sftBatch, sftEvalSet } from './sft-data.ts';
import { backendInfo } from '../shared/backend/tf.ts';

export default defineStage({
  name: 'sft',
  version: 1,
  description: 'Supervised fine-tuning on chat conversations with the loss on assistant tokens only, and held-out task accuracy.',
  headline: ['heldOutAccuracy', 'valLoss'],
  schema: sftSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'a model folder (from init, pretrain or an earlier sft); holds tokenizer.json' },
    train: { kind: 'any', description: 'JSONL rows: chat `messages`, Alpaca `instruction`/`output`, or `prompt`/`completion`' },
    heldOut: { kind: 'any', optional: true, description: 'JSONL rows for the validation loss; rows with a `task` are answered and verified' },
    replay: { kind: 'any', optional: true, description: 'JSONL rows trained on beside `train` (an earlier stage\'s data), so tuning for a new skill does not erase the old ones' },
  }),
  outputs: () => ({ model: { kind: 'dir' }, curve: { kind: 'file' }, eval: { kind: 'file' } }),
  async run(ctx, p) {
    const { tf, backend, modelDir, model } = await openModel(ctx);
    const { tokenizer, config } = model;
    try {
      const readOptions = { onMalformed: p.onMalformed, signal: ctx.signal, displayName: (f: string) => path.relative(ctx.recipeDir, f) };
      const train = await readChatRows([...ctx.inputs.train!.files, ...(ctx.inputs.replay?.files ?? [])], readOptions);
      let heldOutRows: ChatRow[] = [];
      let skipped = train.skipped;
      if (ctx.inputs.heldOut) {
        const heldOut = await readChatRows(ctx.inputs.heldOut.files, readOptions);
        heldOutRows = heldOut.rows;
        skipped += heldOut.skipped;
      }
      const built = buildExamples(tokenizer, train.rows, config.blockSize, p.overLength, p.lossOn);
      let trainExamples = built.examples;
      let validExamples = buildExamples(tokenizer, heldOutRows, config.blockSize, p.overLength, p.lossOn).examples;
      if (!ctx.inputs.heldOut) {
        const cut = Math.max(1, Math.floor(trainExamples.length * p.validFraction));
        validExamples = trainExamples.slice(-cut);
        trainExamples = trainExamples.slice(0, -cut);
      }
      ctx.log.info(
        `conversations: ${trainExamples.length} train, ${validExamples.length} validation; ` +
          `${built.truncated} truncated, ${built.dropped} dropped (over ${config.blockSize} positions), ${skipped} malformed skipped`,
      );
      if (trainExamples.length === 0 || validExamples.length === 0) {
        throw new PipelineError('DATA_INVALID', `sft needs training and validation conversations; got ${trainExamples.length} and ${validExamples.length}`, {
          hint: 'add rows, use overLength: truncate, or a larger model.blockSize',
        });
      }
      const data = {
        trainBatch: (step: number, micro: number) => sftBatch(trainExamples, p.batchSize, config.blockSize, p.packing, ctx.seed, step, micro),
        evalSet: sftEvalSet(validExamples, p.batchSize, config.blockSize, p.packing, p.evalBatches),
      };
      const result = await trainLoop(tf, ctx, nextTokenTrainee(model, data), p);

      const report = evaluateTasks(model, heldOutRows, { ...p.evalSampling, limit: p.evalExamples }, ctx.seed);
      if (report.overall.total > 0) {
        ctx.log.info(`held-out accuracy ${(report.overall.accuracy * 100).toFixed(1)}% (${report.overall.correct}/${report.overall.total})`);
        for (const [task, s] of Object.entries(report.tasks)) ctx.log.info(`  ${task}: ${s.correct}/${s.total}`);
      }
      const outModel = path.join(ctx.outDir, 'model');
      await saveModel(model, outModel, { step: p.steps }, modelDir);
      await writeCurve(path.join(ctx.outDir, 'curve.jsonl'), result.curve);
      await writeFile(path.join(ctx.outDir, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
      return {
        metrics: {
          initialValLoss: result.initialEval.valLoss!,
          valLoss: result.finalEval.valLoss!,
          trainLoss: result.curve.at(-1)?.loss ?? Number.NaN,
          ...(report.overall.total > 0 ? { heldOutAccuracy: report.overall.accuracy } : {}),
          heldOutScored: report.overall.total,
          examples: trainExamples.length,
          truncated: built.truncated,
          dropped: built.dropped,
          skipped,
          resumedFrom: result.resumedFrom,
        },
        artifacts: { model: 'model', curve: 'curve.jsonl', eval: 'eval.json' },
        info: backendInfo(backend),
      };
    } finally {
      model.dispose();
    }
  },
});
