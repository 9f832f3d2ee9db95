// `uses: pretrain` — stage 1: next-token prediction on the corpus, starting from an upstream model
// (init, or an earlier pretrain). Writes the trained model folder, its loss curve and samples.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../engine/errors.ts';
import { defineStage } from '../../engine/stage.ts';
import { encodeCorpus } from '../shared/data/encode-corpus.ts';
import { saveModel } from '../shared/model/model-io.ts';
import { openModel } from '../shared/model/open-model.ts';
import { trainLoop } from '../shared/train/loop.ts';
import { nextTokenTrainee } from '../shared/train/next-token.ts';
import { writeCurve } from '../shared/train/curve.ts';
import { batchForStep, evalBatches } from '../shared/train/token-batches.ts';
import { pretrainSchema } from './schema.ts';
import { backendInfo } from '../shared/backend/tf.ts';

export default defineStage({
  name: 'pretrain',
  version: 1,
  description: 'Next-token pre-training with AdamW, warm-up + cosine schedule, clipping, validation and resumable checkpoints.',
  headline: ['valLoss', 'initialValLoss'],
  schema: pretrainSchema,
  inputs: () => ({
    model: { kind: 'dir', description: 'a model folder (from init or an earlier training stage)' },
    train: { kind: 'any', description: 'training text: JSONL records or text files' },
    valid: { kind: 'any', optional: true, description: 'validation text; without it a tail of train is held out' },
  }),
  outputs: () => ({ model: { kind: 'dir' }, curve: { kind: 'file' }, samples: { kind: 'file' } }),
  async run(ctx, p) {
    const { tf, backend, modelDir, model } = await openModel(ctx);
    const { tokenizer, config } = model;
    try {
      const corpusOptions = { textField: p.textField, maxBytes: p.maxTrainBytes, signal: ctx.signal, displayName: (f: string) => path.relative(ctx.recipeDir, f) };
      const encoded = await encodeCorpus(tokenizer, ctx.inputs.train!.files, corpusOptions);
      let train = encoded.tokens;
      let valid: Int32Array;
      if (ctx.inputs.valid) valid = (await encodeCorpus(tokenizer, ctx.inputs.valid.files, corpusOptions)).tokens;
      else {
        const cut = Math.floor(train.length * (1 - p.validFraction));
        valid = train.subarray(cut);
        train = train.subarray(0, cut);
      }
      ctx.log.info(`corpus: ${encoded.documents} documents, ${(encoded.bytes / 1e6).toFixed(2)} MB -> ${train.length} train / ${valid.length} valid tokens`);
      for (const [name, tokens] of [['train', train], ['valid', valid]] as const) {
        if (tokens.length < config.blockSize + 2) {
          throw new PipelineError('DATA_INVALID', `${name} text has ${tokens.length} tokens, fewer than one context window (${config.blockSize + 2})`, { hint: 'add text, or use a smaller model.blockSize' });
        }
      }
      const data = {
        trainBatch: (step: number, micro: number) => batchForStep(train, p.batchSize, config.blockSize, ctx.seed, step, micro),
        evalSet: evalBatches(valid, p.batchSize, config.blockSize, p.evalBatches, ctx.seed),
      };
      const result = await trainLoop(tf, ctx, nextTokenTrainee(model, data), p);
      const samples = model.sampleTexts(p.sample.prompts, { ...p.sample, stopTokens: [] }, ctx.seed);
      for (const s of samples) ctx.log.info(`sample: ${JSON.stringify(s.prompt + s.completion)}`);
      await saveModel(model, path.join(ctx.outDir, 'model'), { step: p.steps }, modelDir);
      await writeCurve(path.join(ctx.outDir, 'curve.jsonl'), result.curve);
      await writeFile(path.join(ctx.outDir, 'samples.json'), `${JSON.stringify(samples, null, 2)}\n`);
      return {
        metrics: {
          initialValLoss: result.initialEval.valLoss!,
          valLoss: result.finalEval.valLoss!,
          valPerplexity: Math.exp(result.finalEval.valLoss!),
          trainLoss: result.curve.at(-1)?.loss ?? Number.NaN,
          tokensPerSecond: Math.round(result.tokensPerSecond),
          trainTokens: train.length,
          resumedFrom: result.resumedFrom,
        },
        artifacts: { model: 'model', curve: 'curve.jsonl', samples: 'samples.json' },
        info: backendInfo(backend),
      };
    } finally {
      model.dispose();
    }
  },
});
