// `uses: init` — stage 0: the seeded, randomly initialised GPT (GPT-2 scaled init) that every later
// stage starts from, and samples from it, so the report can show what an untrained model says.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { defineStage } from '../../engine/stage.ts';
import { modelProblems, resolveModelConfig } from '../shared/model/config.ts';
import { countParams, initGPT } from '../shared/model/gpt.ts';
import { createLanguageModel } from '../shared/model/language-model.ts';
import { saveModel } from '../shared/model/model-io.ts';
import { stageBackend } from '../shared/model/open-model.ts';
import { loadTokenizer } from '../shared/tokenizer/tokenizer-dir.ts';
import { initSchema } from './schema.ts';
import { backendInfo } from '../shared/backend/tf.ts';

export default defineStage({
  name: 'init',
  version: 2,
  description: 'A seeded random GPT of the size in `model`, plus what it says.',
  headline: ['parameters', 'expectedLoss'],
  schema: initSchema,
  validate: (params) => modelProblems(params.model).map((p) => ({ ...p, path: ['model', ...p.path] })),
  inputs: () => ({ tokenizer: { kind: 'dir', description: 'the tokenizer stage output' } }),
  outputs: () => ({ model: { kind: 'dir' }, samples: { kind: 'file' } }),
  async run(ctx, params) {
    const { tf, backend } = await stageBackend(ctx);
    const tokenizerDir = ctx.inputs.tokenizer!.path;
    const { tokenizer } = await loadTokenizer(tokenizerDir);
    const config = resolveModelConfig(params.model, tokenizer.vocabSize);
    const model = createLanguageModel(tf, { config, tokenizer, weights: initGPT(tf, config, ctx.seed) });
    try {
      const parameters = countParams(model.weights);
      ctx.log.info(`model: ${config.nLayer} layers, ${config.nHead} heads, width ${config.nEmbd}, context ${config.blockSize}, vocab ${config.vocabSize}: ${(parameters / 1e6).toFixed(2)}M parameters`);
      const samples = model.sampleTexts(params.sample.prompts, { ...params.sample, stopTokens: [] }, ctx.seed);
      for (const s of samples) ctx.log.info(`sample: ${JSON.stringify(s.prompt + s.completion)}`);
      await saveModel(model, path.join(ctx.outDir, 'model'), { step: 0 }, tokenizerDir);
      await writeFile(path.join(ctx.outDir, 'samples.json'), `${JSON.stringify(samples, null, 2)}\n`);
      return {
        metrics: { parameters, expectedLoss: Math.log(config.vocabSize) },
        artifacts: { model: 'model', samples: 'samples.json' },
        info: backendInfo(backend),
      };
    } finally {
      model.dispose();
    }
  },
});
